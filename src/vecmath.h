/* vecmath.h: internal to libgradcheck (not installed).  Elementwise tanh
 * and logistic sigmoid over arrays, for the models' batched forward passes
 * (vecmath.c). */
#ifndef GRADCHECK_VECMATH_H
#define GRADCHECK_VECMATH_H

#include <stddef.h>

/* v[i] = tanh(v[i]) for i < n. */
void gc_vtanh(double *v, size_t n);
/* v[i] = sigma(v[i]) = 1/(1 + e^{-v[i]}) for i < n, by nn_sigmoid's
 * formula (no branch overflows). */
void gc_vsigmoid(double *v, size_t n);
/* 1 if the vector versions are in use (AVX2 and glibc's libmvec). */
int gc_vecmath_vector(void);

#endif
