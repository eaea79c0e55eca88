/* test_layout.c: blocks and entry names in the homework's index notation. */
#include <string.h>

#include "gradcheck.h"
#include "testutil.h"

START_TEST(layout_offsets_and_names)
{
    gc_blocks b = {0};
    /* W1: 3 x 2, rows from 0 (bias row), columns from 1, as in 004 Q1. */
    ck_assert_int_eq(gc_blocks_add(&b, "W1", 2, 3, 2, 1, 0, 1, 0), GC_OK);
    ck_assert_int_eq(gc_blocks_add(&b, "b", 1, 4, 1, 1, 1, 0, 0), GC_OK);
    ck_assert_int_eq(gc_blocks_add(&b, "w4", 0, 1, 1, 1, 0, 0, 0), GC_OK);
    ck_assert_uint_eq(b.n, 6 + 4 + 1);
    char name[64];
    gc_entry_name(&b, 3, name, sizeof name);   /* row 1, column 1 -> [1][2] */
    ck_assert_str_eq(name, "W1[1][2]");
    gc_entry_name(&b, 6, name, sizeof name);
    ck_assert_str_eq(name, "b[1]");
    gc_entry_name(&b, 10, name, sizeof name);
    ck_assert_str_eq(name, "w4");
    size_t k;
    int whole;
    ck_assert_int_eq(gc_entry_parse(&b, "W1[2][1]", &k, &whole), GC_OK);
    ck_assert_uint_eq(k, 4);
    ck_assert_int_eq(whole, 0);
    ck_assert_int_eq(gc_entry_parse(&b, "w4", &k, &whole), GC_OK);
    ck_assert_uint_eq(k, 10);
    ck_assert_int_eq(whole, 1);
    /* Out of range in the homework's indices: column 0 does not exist. */
    ck_assert_int_eq(gc_entry_parse(&b, "W1[0][0]", &k, NULL), GC_EINVAL);
    ck_assert_int_eq(gc_entry_parse(&b, "W1[3][1]", &k, NULL), GC_EINVAL);
    ck_assert_int_eq(gc_entry_parse(&b, "W1[1]", &k, NULL), GC_EINVAL);
    ck_assert_int_eq(gc_entry_parse(&b, "W1[1][1]x", &k, NULL), GC_EINVAL);
    ck_assert_int_eq(gc_entry_parse(&b, "W9[1][1]", &k, NULL), GC_ENOTFOUND);
}
END_TEST

/* A block of 4 axes, a convolution's weight K[o][c][p][q] (2 x 3 x 2 x 2,
 * the last two numbered from 0): entry (o, c, p, q) is at
 * ((o - 1) 3 + (c - 1)) 4 + 2 p + q, so K[2][3][1][0] is (1*3 + 2)*4 + 2 =
 * 22; 5 axes are refused, as are 4 through the three-size gc_blocks_add. */
START_TEST(layout_four_axes)
{
    gc_blocks b = {0};
    size_t sh[4] = {2, 3, 2, 2};
    int bs[4] = {1, 1, 0, 0};
    ck_assert_int_eq(gc_blocks_add_shape(&b, "K", 4, sh, bs), GC_OK);
    ck_assert_uint_eq(b.n, 24);
    char name[64];
    gc_entry_name(&b, 22, name, sizeof name);
    ck_assert_str_eq(name, "K[2][3][1][0]");
    size_t k;
    ck_assert_int_eq(gc_entry_parse(&b, "K[2][3][1][0]", &k, NULL), GC_OK);
    ck_assert_uint_eq(k, 22);
    ck_assert_int_eq(gc_entry_parse(&b, "K[2][3][1]", &k, NULL), GC_EINVAL);
    ck_assert_int_eq(gc_entry_parse(&b, "K[2][3][2][0]", &k, NULL), GC_EINVAL);
    size_t sh5[5] = {1, 1, 1, 1, 1};
    int bs5[5] = {1, 1, 1, 1, 1};
    ck_assert_int_eq(gc_blocks_add_shape(&b, "F", 5, sh5, bs5), GC_EINVAL);
    ck_assert_int_eq(gc_blocks_add(&b, "G", 4, 1, 1, 1, 1, 1, 1), GC_EINVAL);
    ck_assert_uint_eq(b.n_blocks, 1);
}
END_TEST

START_TEST(layout_limits)
{
    gc_blocks b = {0};
    /* A billion entries is refused before anything is allocated. */
    ck_assert_int_eq(gc_blocks_add(&b, "huge", 2, 100000, 10000, 1, 0, 0, 0),
                     GC_ELIMIT);
    ck_assert_int_eq(gc_blocks_add(&b, "empty", 1, 0, 1, 1, 0, 0, 0),
                     GC_ESHAPE);
    for (int i = 0; i < GC_MAX_BLOCKS; i++)
        ck_assert_int_eq(gc_blocks_add(&b, "x", 0, 1, 1, 1, 0, 0, 0), GC_OK);
    ck_assert_int_eq(gc_blocks_add(&b, "x", 0, 1, 1, 1, 0, 0, 0), GC_ELIMIT);
}
END_TEST

/* Forward order of quantities: two timed blocks s[t][i], h[t][i] (t = 0, 1;
 * i = 0, 1) and an untimed output z[i].  Time-major over the timed blocks:
 * s[0][*], h[0][*], s[1][*], h[1][*]; z is untimed (step 0) and after them
 * in block order at step 0, so it sorts after h[0][*] and before s[1][*].
 * Flat indices: s 0..3, h 4..7, z 8..9. */
START_TEST(layout_forward_order)
{
    gc_blocks q;
    memset(&q, 0, sizeof q);
    ck_assert_int_eq(gc_blocks_add(&q, "s", 2, 2, 2, 1, 0, 0, 0), GC_OK);
    ck_assert_int_eq(gc_blocks_add(&q, "h", 2, 2, 2, 1, 0, 0, 0), GC_OK);
    ck_assert_int_eq(gc_blocks_add(&q, "z", 1, 2, 1, 1, 0, 0, 0), GC_OK);
    static const char *const timed[] = {"s", "h", NULL};
    gc_blocks_timed(&q, timed);
    /* s[0][1] (1) before h[0][0] (4): same step, earlier block */
    ck_assert(gc_blocks_forward_before(&q, 1, 4));
    ck_assert(!gc_blocks_forward_before(&q, 4, 1));
    /* h[0][1] (5) before s[1][0] (2): earlier step, though a later block */
    ck_assert(gc_blocks_forward_before(&q, 5, 2));
    ck_assert(!gc_blocks_forward_before(&q, 2, 5));
    /* s[1][1] (3) before h[1][0] (6) */
    ck_assert(gc_blocks_forward_before(&q, 3, 6));
    /* z[0] (8), step 0, block 2: after h[0][1] (5), before s[1][0] (2) */
    ck_assert(gc_blocks_forward_before(&q, 5, 8));
    ck_assert(gc_blocks_forward_before(&q, 8, 2));
    /* an entry is not before itself */
    ck_assert(!gc_blocks_forward_before(&q, 6, 6));
}
END_TEST

START_TEST(layout_registry_lookup)
{
    ck_assert_ptr_nonnull(gc_model_find("lstm_001_6_4"));
    ck_assert_ptr_null(gc_model_find("lstm"));
    const gc_model_type *m = gc_model_find("rnn_bptt_000_p5");
    ck_assert_ptr_nonnull(gc_derivation_find(m, "seed"));
    ck_assert_ptr_nonnull(gc_derivation_find(m, "corrected"));
    ck_assert_ptr_null(gc_derivation_find(m, "Seed"));
}
END_TEST

static Suite *layout_suite(void)
{
    Suite *s = suite_create("layout");
    TCase *tc = tcase_create("blocks");
    tcase_add_test(tc, layout_offsets_and_names);
    tcase_add_test(tc, layout_limits);
    tcase_add_test(tc, layout_four_axes);
    tcase_add_test(tc, layout_registry_lookup);
    tcase_add_test(tc, layout_forward_order);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(layout_suite()); }
