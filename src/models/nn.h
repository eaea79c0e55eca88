/* nn.h: small numeric helpers shared by the model files (activations and
 * dense linear algebra on row-major arrays).  Header-only, no state. */
#ifndef GRADCHECK_NN_H
#define GRADCHECK_NN_H

#include <math.h>
#include <stddef.h>
#include <string.h>

/* sigma(z) = 1/(1+e^{-z}), written so that neither branch overflows. */
static inline double nn_sigmoid(double z)
{
    if (z >= 0) {
        double e = exp(-z);
        return 1.0 / (1.0 + e);
    }
    double e = exp(z);
    return e / (1.0 + e);
}

static inline double nn_relu(double z) { return z > 0 ? z : 0.0; }

/* y = A x, A is m x n row-major. */
static inline void nn_matvec(const double *A, size_t m, size_t n,
                             const double *x, double *y)
{
    for (size_t i = 0; i < m; i++) {
        double s = 0;
        for (size_t j = 0; j < n; j++) s += A[i * n + j] * x[j];
        y[i] = s;
    }
}

/* y += A^T x, A is m x n row-major, x has m entries, y has n. */
static inline void nn_matvec_t_add(const double *A, size_t m, size_t n,
                                   const double *x, double *y)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) y[j] += A[i * n + j] * x[i];
}

/* G += a b^T, G is m x n row-major. */
static inline void nn_outer_add(double *G, size_t m, size_t n,
                                const double *a, const double *b)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) G[i * n + j] += a[i] * b[j];
}

/* p = softmax(z) over n entries, shifted by max(z) so exp cannot overflow. */
static inline void nn_softmax(const double *z, size_t n, double *p)
{
    double mx = z[0];
    for (size_t i = 1; i < n; i++) if (z[i] > mx) mx = z[i];
    double s = 0;
    for (size_t i = 0; i < n; i++) { p[i] = exp(z[i] - mx); s += p[i]; }
    for (size_t i = 0; i < n; i++) p[i] /= s;
}

#endif
