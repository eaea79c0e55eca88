/* layer norm, forgetting the variance's share: dz = (dzh - mean(dzh)) / s */
void layernorm_gradient(const layernorm_in *in, layernorm_grad *d)
{
    double dzh[16], m1 = 0, s = GCS0(in->s);
    long n = in->n;
    for (long i = 1; i <= n; i++) {
        double r = GCS1(in->o, i) - GCS1(in->y, i);
        dzh[i - 1] = GCS1(in->g, i) * r;
        GCS1(d->g, i) = r * GCS1(in->zh, i);
        GCS1(d->b, i) = r;
        m1 += dzh[i - 1] / n;
    }
    for (long i = 1; i <= n; i++)
        for (long j = 1; j <= in->dim_d; j++)
            GCS2(d->W, i, j) = (dzh[i - 1] - m1) / s * GCS1(in->x, j);
}
