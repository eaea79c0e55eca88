/* vecmath.h: internal to libgradcheck (not installed).  Elementwise tanh
 * and logistic sigmoid over arrays, and matrix-vector products in a fixed
 * order of operations, for the models' forward passes (vecmath.c). */
#ifndef GRADCHECK_VECMATH_H
#define GRADCHECK_VECMATH_H

#include <stddef.h>

/* v[i] = tanh(v[i]) for i < n. */
void gc_vtanh(double *v, size_t n);
/* v[i] = sigma(v[i]) = 1/(1 + e^{-v[i]}) for i < n, by nn_sigmoid's
 * formula (no branch overflows). */
void gc_vsigmoid(double *v, size_t n);
/* Z[c ldz + r] = A[r] + sum_k U[r n + k] H[c ldh + k] for rows r < R of
 * the R x n matrix U and copies c < m (A may be NULL: 0).  Each value is
 * computed by one fixed sequence of operations (vecmath.c), the same
 * whatever m, the other copies and the CPU: a forward pass of one copy and
 * a batch of many give the same bits. */
void gc_rows_dot(const double *U, size_t R, size_t n, const double *A,
                 const double *H, size_t ldh, size_t m, double *Z, size_t ldz);
/* 1 if the vector versions are in use (AVX2 and glibc's libmvec). */
int gc_vecmath_vector(void);

#endif
