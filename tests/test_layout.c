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
    tcase_add_test(tc, layout_registry_lookup);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(layout_suite()); }
