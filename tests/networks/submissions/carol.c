/* two-layer ReLU network: dL/dW2 = (s2 - y) a1^T, dL/dW1 = (relu'(s1) .* W2^T (s2 - y)) x^T */
void mlp2_relu_gradient(const mlp2_relu_in *in, mlp2_relu_grad *d)
{
    double g2[2], g1[4];
    for (int i = 1; i <= in->n2; i++) g2[i - 1] = GCS1(in->s2, i) - GCS1(in->y, i);
    for (int i = 1; i <= in->n2; i++) {
        GCS1(d->b2, i) = g2[i - 1];
        for (int j = 1; j <= in->n1; j++) GCS2(d->W2, i, j) = g2[i - 1] * GCS1(in->a1, j);
    }
    for (int j = 1; j <= in->n1; j++) {
        double s = 0;
        for (int i = 1; i <= in->n2; i++) s += GCS2(in->W2, i, j) * g2[i - 1];
        g1[j - 1] = GCS1(in->s1, j) > 0 ? s : 0;
        GCS1(d->b1, j) = g1[j - 1];
        for (int k = 1; k <= in->n0; k++) GCS2(d->W1, j, k) = g1[j - 1] * GCS1(in->x, k);
    }
}
