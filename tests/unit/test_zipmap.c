/* test_zipmap.c: unit tests of ZIP to state: the CSV list read by header
 * names, the built-in prefix table, and the two against each other on the
 * real ZIP list when the shared folder is there. */
#include "test_util.h"

#include "filmseg/states.h"
#include "filmseg/text.h"
#include "filmseg/zipmap.h"

static const char *code(const ZipMap *map, const char *zip)
{
    return state_info(zipmap_state(map, zip))->code;
}

static void csv_by_header_names_pads_zips(void **state)
{
    (void)state;
    const char *csv = "lat,state_name,zip,state_id\n"
                      "42.0,Massachusetts,1001,MA\n"
                      "18.1,Puerto Rico,601,PR\n"
                      "40.0,New York,10027,NY\n"
                      "0,Atlantis,12345,XX\n"
                      "0,Nowhere,notazip,NY\n"
                      "1,2\n";
    CapturedDiag c;
    captured_diag_init(&c, false);
    ZipMap map;
    assert_int_equal(zipmap_parse_csv(&map, csv, strlen(csv), "z.csv", &c.diag), 0);
    assert_true(map.exact);
    assert_int_equal(map.n_zips, 3);
    assert_string_equal(code(&map, "01001"), "MA");
    assert_string_equal(code(&map, "00601"), "PR");
    assert_string_equal(code(&map, "10027-1234"), "NY");
    assert_string_equal(code(&map, "10028"), "??"); /* absent from the list */
    assert_string_equal(code(&map, "T8H1N"), "??");
    assert_string_equal(code(&map, "1001"), "??");
    const char *text = captured_diag_text(&c);
    assert_non_null(strstr(text, "z.csv:5: unknown state 'XX'"));
    assert_non_null(strstr(text, "z.csv:6: zip 'notazip'"));
    assert_non_null(strstr(text, "z.csv:7: 2 fields"));
    assert_int_equal(diag_total_skipped(&c.diag), 3);
    zipmap_free(&map);
    captured_diag_free(&c);
}

static void csv_without_the_needed_columns_is_refused(void **state)
{
    (void)state;
    const char *csv = "postcode,region\n1001,MA\n";
    CapturedDiag c;
    captured_diag_init(&c, false);
    ZipMap map;
    assert_int_equal(zipmap_parse_csv(&map, csv, strlen(csv), "z.csv", &c.diag), 2);
    assert_non_null(strstr(captured_diag_text(&c), "z.csv:1: the header must name a 'zip'"));
    zipmap_free(&map);
    assert_int_equal(zipmap_load_csv(&map, "/nonexistent.csv", &c.diag), 2);
    assert_non_null(strstr(captured_diag_text(&c), "/nonexistent.csv: cannot read"));
    zipmap_free(&map);
    captured_diag_free(&c);
}

static void builtin_prefix_table(void **state)
{
    (void)state;
    ZipMap map;
    assert_int_equal(zipmap_builtin(&map), 0);
    assert_false(map.exact);
    assert_string_equal(code(&map, "02139"), "MA");
    assert_string_equal(code(&map, "00601"), "PR");
    assert_string_equal(code(&map, "20500"), "DC");
    assert_string_equal(code(&map, "99501"), "AK");
    assert_string_equal(code(&map, "96813"), "HI");
    assert_string_equal(code(&map, "73301"), "TX");
    assert_string_equal(code(&map, "09001"), "??"); /* military */
    assert_string_equal(code(&map, "T8H1N"), "??");
    assert_string_equal(code(&map, ""), "??");
    /* every state, DC and PR has at least one prefix */
    size_t covered = 0;
    for (size_t s = 1; s < state_count(); s++) {
        for (int p = 0; p < 1000; p++)
            if (map.by_prefix[p] == s) {
                covered++;
                break;
            }
    }
    assert_int_equal(covered, 52);
    zipmap_free(&map);
}

static void builtin_table_agrees_with_the_real_zip_list(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/data/uszips.csv", shared_dir());
    CapturedDiag c;
    captured_diag_init(&c, false);
    ZipMap exact, prefix;
    assert_int_equal(zipmap_load_csv(&exact, path, &c.diag), 0);
    assert_true(exact.n_zips > 30000);
    zipmap_builtin(&prefix);
    size_t same = 0, listed = 0;
    for (int z = 0; z < 100000; z++) {
        int s = exact.by_zip[z];
        const char *st = state_info(s)->code;
        if (s == STATE_UNKNOWN || strcmp(st, "VI") == 0 || strcmp(st, "GU") == 0 ||
            strcmp(st, "AS") == 0 || strcmp(st, "MP") == 0)
            continue;
        listed++;
        same += prefix.by_prefix[z / 100] == s;
    }
    /* ZIP prefixes follow state lines but for a handful of border towns */
    assert_true(same >= listed - listed / 500);
    zipmap_free(&exact);
    zipmap_free(&prefix);
    captured_diag_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(csv_by_header_names_pads_zips),
        cmocka_unit_test(csv_without_the_needed_columns_is_refused),
        cmocka_unit_test(builtin_prefix_table),
        cmocka_unit_test(builtin_table_agrees_with_the_real_zip_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
