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
#include <string.h>

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

/* ------------------------------------------------------------ gc_rows_dot
 *
 * Every (row r, copy c) pair is computed by the same sequence of
 * operations: four partial sums p_l = sum over k = l (mod 4), k < n4 (n
 * rounded down to a multiple of 4), of U[r][k] H[c][k], each in increasing
 * k; then s = (p_0 + p_1) + (p_2 + p_3); then s += U[r][k] H[c][k] for the
 * last n mod 4 values of k; then Z = A[r] + s.  The loops below only choose
 * which pairs run side by side (two rows by four copies, four rows by one
 * copy, one by one); a pair's own additions are always these, in this
 * order, and vector lanes are separate IEEE operations (no fused
 * multiply-add: the AVX2 path is compiled without FMA).  So a copy's value
 * does not depend on m, on the other copies, or on the CPU path. */
typedef double gc_v4 __attribute__((vector_size(4 * sizeof(double))));

/* (vectors are passed by address: a 32-byte vector argument would change
 * the ABI between the AVX2 and the plain path) */
#define ld4(p) (*(const gc_v4u *)(p))
typedef double gc_v4u __attribute__((vector_size(4 * sizeof(double)),
                                     aligned(sizeof(double)), may_alias));

static inline double fin4(const gc_v4 *pp, const double *u, const double *h,
                          size_t k0, size_t n, double a)
{
    double s = ((*pp)[0] + (*pp)[1]) + ((*pp)[2] + (*pp)[3]);
    for (size_t k = k0; k < n; k++) s += u[k] * h[k];
    return a + s;
}

#define ROWS_DOT_BODY                                                        \
    size_t n4 = n & ~(size_t)3, c = 0;                                       \
    for (; c + 4 <= m; c += 4) {                                             \
        const double *h0 = H + c * ldh, *h1 = h0 + ldh, *h2 = h1 + ldh;      \
        const double *h3 = h2 + ldh;                                         \
        double *z0 = Z + c * ldz, *z1 = z0 + ldz, *z2 = z1 + ldz;            \
        double *z3 = z2 + ldz;                                               \
        size_t r = 0;                                                        \
        for (; r + 2 <= R; r += 2) {                                         \
            const double *u0 = U + r * n, *u1 = u0 + n;                      \
            gc_v4 a00 = {0}, a01 = {0}, a02 = {0}, a03 = {0};                \
            gc_v4 a10 = {0}, a11 = {0}, a12 = {0}, a13 = {0};                \
            for (size_t k = 0; k < n4; k += 4) {                             \
                gc_v4 v0 = ld4(u0 + k), v1 = ld4(u1 + k);                    \
                gc_v4 x0 = ld4(h0 + k), x1 = ld4(h1 + k);                    \
                gc_v4 x2 = ld4(h2 + k), x3 = ld4(h3 + k);                    \
                a00 = a00 + v0 * x0; a01 = a01 + v0 * x1;                    \
                a02 = a02 + v0 * x2; a03 = a03 + v0 * x3;                    \
                a10 = a10 + v1 * x0; a11 = a11 + v1 * x1;                    \
                a12 = a12 + v1 * x2; a13 = a13 + v1 * x3;                    \
            }                                                                \
            double b0 = A ? A[r] : 0.0, b1 = A ? A[r + 1] : 0.0;             \
            z0[r] = fin4(&a00, u0, h0, n4, n, b0);                            \
            z1[r] = fin4(&a01, u0, h1, n4, n, b0);                            \
            z2[r] = fin4(&a02, u0, h2, n4, n, b0);                            \
            z3[r] = fin4(&a03, u0, h3, n4, n, b0);                            \
            z0[r + 1] = fin4(&a10, u1, h0, n4, n, b1);                        \
            z1[r + 1] = fin4(&a11, u1, h1, n4, n, b1);                        \
            z2[r + 1] = fin4(&a12, u1, h2, n4, n, b1);                        \
            z3[r + 1] = fin4(&a13, u1, h3, n4, n, b1);                        \
        }                                                                    \
        for (; r < R; r++) {                                                 \
            const double *u0 = U + r * n;                                    \
            gc_v4 a00 = {0}, a01 = {0}, a02 = {0}, a03 = {0};                \
            for (size_t k = 0; k < n4; k += 4) {                             \
                gc_v4 v0 = ld4(u0 + k);                                      \
                a00 = a00 + v0 * ld4(h0 + k); a01 = a01 + v0 * ld4(h1 + k);  \
                a02 = a02 + v0 * ld4(h2 + k); a03 = a03 + v0 * ld4(h3 + k);  \
            }                                                                \
            double b0 = A ? A[r] : 0.0;                                      \
            z0[r] = fin4(&a00, u0, h0, n4, n, b0);                            \
            z1[r] = fin4(&a01, u0, h1, n4, n, b0);                            \
            z2[r] = fin4(&a02, u0, h2, n4, n, b0);                            \
            z3[r] = fin4(&a03, u0, h3, n4, n, b0);                            \
        }                                                                    \
    }                                                                        \
    for (; c < m; c++) {                                                     \
        const double *h0 = H + c * ldh;                                      \
        double *z0 = Z + c * ldz;                                            \
        size_t r = 0;                                                        \
        for (; r + 4 <= R; r += 4) {                                         \
            const double *u0 = U + r * n, *u1 = u0 + n, *u2 = u1 + n;        \
            const double *u3 = u2 + n;                                       \
            gc_v4 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};                    \
            for (size_t k = 0; k < n4; k += 4) {                             \
                gc_v4 x0 = ld4(h0 + k);                                      \
                a0 = a0 + ld4(u0 + k) * x0; a1 = a1 + ld4(u1 + k) * x0;      \
                a2 = a2 + ld4(u2 + k) * x0; a3 = a3 + ld4(u3 + k) * x0;      \
            }                                                                \
            z0[r] = fin4(&a0, u0, h0, n4, n, A ? A[r] : 0.0);                 \
            z0[r + 1] = fin4(&a1, u1, h0, n4, n, A ? A[r + 1] : 0.0);         \
            z0[r + 2] = fin4(&a2, u2, h0, n4, n, A ? A[r + 2] : 0.0);         \
            z0[r + 3] = fin4(&a3, u3, h0, n4, n, A ? A[r + 3] : 0.0);         \
        }                                                                    \
        for (; r < R; r++) {                                                 \
            const double *u0 = U + r * n;                                    \
            gc_v4 a0 = {0};                                                  \
            for (size_t k = 0; k < n4; k += 4)                               \
                a0 = a0 + ld4(u0 + k) * ld4(h0 + k);                         \
            z0[r] = fin4(&a0, u0, h0, n4, n, A ? A[r] : 0.0);                 \
        }                                                                    \
    }

#if defined(__x86_64__)
__attribute__((target("avx2"), noinline)) static void rows_dot_avx2(
    const double *U, size_t R, size_t n, const double *A, const double *H,
    size_t ldh, size_t m, double *Z, size_t ldz)
{
    ROWS_DOT_BODY
}
#endif

__attribute__((noinline)) static void rows_dot_plain(
    const double *U, size_t R, size_t n, const double *A, const double *H,
    size_t ldh, size_t m, double *Z, size_t ldz)
{
    ROWS_DOT_BODY
}

void gc_rows_dot(const double *U, size_t R, size_t n, const double *A,
                 const double *H, size_t ldh, size_t m, double *Z, size_t ldz)
{
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2")) {
        rows_dot_avx2(U, R, n, A, H, ldh, m, Z, ldz);
        return;
    }
#endif
    rows_dot_plain(U, R, n, A, H, ldh, m, Z, ldz);
}
