/* vecmath.c: tanh and the logistic sigmoid over arrays, four at a time.
 *
 * A batched LSTM forward pass spends more time in exp and tanh than in its
 * matrix products when they are called one value at a time (glibc: about
 * 10 ns for exp, 19 ns for tanh on the machine of docs/performance.md,
 * against 5 tanh/sigmoid per unit and step).  glibc's libmvec has vector
 * versions (_ZGVdN4v_exp, _ZGVdN4v_tanh: four doubles in an AVX2 register,
 * within 4 ulps by glibc's own tests; 1.7 ulps the most we saw), used here
 * when the CPU has AVX2 and the library was built with libmvec
 * (GC_HAVE_LIBMVEC); otherwise, and for the last n mod 4 values, the scalar
 * libm functions.  The sigmoid is nn_sigmoid's formula,
 *   sigma(z) = 1/(1 + e^{-z}) for z >= 0,  e^{z}/(1 + e^{z}) for z < 0,
 * i.e. with e = exp(-|z|): (z >= 0 ? 1 : e) / (1 + e), never overflowing.
 * These values differ from the scalar ones by a few ulps at most, so a
 * batched loss differs from forward()'s by round-off (README). */
#include "vecmath.h"

#include <math.h>

static double sigmoid1(double z)
{
    double e = exp(-fabs(z));
    return (z >= 0 ? 1.0 : e) / (1.0 + e);
}

#if defined(GC_HAVE_LIBMVEC) && defined(__x86_64__)
#include <immintrin.h>

/* Compiled for AVX2 whatever the build's -march, through a function
 * attribute (gcc and clang both honour it; clang ignores #pragma GCC
 * target); called only when the CPU has AVX2. */
#define GC_AVX2 __attribute__((target("avx2")))
GC_AVX2 __m256d _ZGVdN4v_exp(__m256d x);
GC_AVX2 __m256d _ZGVdN4v_tanh(__m256d x);

GC_AVX2 static size_t vtanh_avx2(double *v, size_t n)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        _mm256_storeu_pd(v + i, _ZGVdN4v_tanh(_mm256_loadu_pd(v + i)));
    return i;
}

GC_AVX2 static size_t vsigmoid_avx2(double *v, size_t n)
{
    const __m256d one = _mm256_set1_pd(1.0), neg = _mm256_set1_pd(-0.0);
    const __m256d zero = _mm256_setzero_pd();
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256d z = _mm256_loadu_pd(v + i);
        __m256d e = _ZGVdN4v_exp(_mm256_or_pd(z, neg));       /* e^{-|z|} */
        __m256d num = _mm256_blendv_pd(e, one,
                                       _mm256_cmp_pd(z, zero, _CMP_GE_OQ));
        _mm256_storeu_pd(v + i, _mm256_div_pd(num, _mm256_add_pd(one, e)));
    }
    return i;
}

int gc_vecmath_vector(void)
{
    return __builtin_cpu_supports("avx2");
}
#else
static size_t vtanh_avx2(double *v, size_t n) { (void)v; (void)n; return 0; }
static size_t vsigmoid_avx2(double *v, size_t n)
{
    (void)v;
    (void)n;
    return 0;
}
int gc_vecmath_vector(void) { return 0; }
#endif

void gc_vtanh(double *v, size_t n)
{
    size_t i = gc_vecmath_vector() ? vtanh_avx2(v, n) : 0;
    for (; i < n; i++) v[i] = tanh(v[i]);
}

void gc_vsigmoid(double *v, size_t n)
{
    size_t i = gc_vecmath_vector() ? vsigmoid_avx2(v, n) : 0;
    for (; i < n; i++) v[i] = sigmoid1(v[i]);
}
