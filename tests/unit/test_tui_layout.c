/* test_tui_layout.c: unit tests of the explorer's geometry and drawing
 * arithmetic (no terminal needed): screen areas and the too-small rule, tab
 * hit boxes, scroll windows, bar lengths, plot scales, compact numbers, the
 * age axis, text clipping, colour scheme choice. */
#include "test_util.h"

#include "../../src/tui/crt.h"
#include "../../src/tui/layout.h"
#include "../../src/tui/widgets.h"

#include <math.h>

static void screen_areas(void **state)
{
    (void)state;
    ScreenLayout l = layout_screen(24, 80);
    assert_false(l.too_small);
    assert_int_equal(l.tabs.y, 0);
    assert_int_equal(l.pane.y, 1);
    assert_int_equal(l.pane.h, 22);
    assert_int_equal(l.status.y, 23);
    assert_int_equal(l.pane.w, 80);
    assert_false(layout_screen(23, 80).too_small); /* 80x24 under tmux's status line */
    assert_true(layout_screen(22, 80).too_small);
    assert_true(layout_screen(24, 79).too_small);
    assert_false(layout_screen(50, 160).too_small);
}

static void tabs_hit_boxes(void **state)
{
    (void)state;
    const char *names[] = {"Audience", "Elbow", "Films"};
    int start[3], width[3];
    int total = layout_tabs(names, 3, start, width);
    /* " 1 Audience " = 12, gap 1, " 2 Elbow " = 9, gap, " 3 Films " = 9 */
    assert_int_equal(start[0], 0);
    assert_int_equal(width[0], 12);
    assert_int_equal(start[1], 13);
    assert_int_equal(start[2], 23);
    assert_int_equal(total, 32);
    assert_int_equal(layout_tab_at(names, 3, 0), 0);
    assert_int_equal(layout_tab_at(names, 3, 11), 0);
    assert_int_equal(layout_tab_at(names, 3, 12), -1); /* the gap */
    assert_int_equal(layout_tab_at(names, 3, 13), 1);
    assert_int_equal(layout_tab_at(names, 3, 31), 2);
    assert_int_equal(layout_tab_at(names, 3, 32), -1);
}

static void rect_cuts(void **state)
{
    (void)state;
    Rect r = {1, 0, 22, 80};
    Rect top = rect_take_top(&r, 3);
    assert_int_equal(top.y, 1);
    assert_int_equal(top.h, 3);
    assert_int_equal(r.y, 4);
    assert_int_equal(r.h, 19);
    Rect left = rect_take_left(&r, 39, 2);
    assert_int_equal(left.w, 39);
    assert_int_equal(r.x, 41);
    assert_int_equal(r.w, 39);
    Rect all = rect_take_top(&r, 100); /* more than there is */
    assert_int_equal(all.h, 19);
    assert_int_equal(r.h, 0);
}

static void scroll_windows(void **state)
{
    (void)state;
    assert_int_equal(layout_window(10, 20, 5), 0); /* all fit */
    assert_int_equal(layout_window(29, 10, 0), 0);
    assert_int_equal(layout_window(29, 10, 14), 9);  /* centred */
    assert_int_equal(layout_window(29, 10, 28), 19); /* the end */
    assert_int_equal(layout_window(29, 10, 99), 19);
}

static void bar_lengths(void **state)
{
    (void)state;
    assert_int_equal(layout_bar_eighths(0, 10, 10), 0);
    assert_int_equal(layout_bar_eighths(10, 10, 10), 80);
    assert_int_equal(layout_bar_eighths(5, 10, 10), 40);
    assert_int_equal(layout_bar_eighths(0.001, 10, 10), 1); /* visible when > 0 */
    assert_int_equal(layout_bar_eighths(20, 10, 10), 80);   /* clamped */
    assert_int_equal(layout_bar_eighths(NAN, 10, 10), 0);
    assert_int_equal(layout_bar_eighths(5, 0, 10), 0);
}

static void plot_scales(void **state)
{
    (void)state;
    PlotScale s = plot_scale(0, 959, 6);
    assert_true(s.lo == 0);
    assert_true(s.hi == 1000);
    assert_true(s.step == 200);
    assert_int_equal(s.ticks, 6);
    s = plot_scale(0.031, 0.069, 5);
    assert_true(fabs(s.step - 0.01) < 1e-12);
    assert_true(fabs(s.lo - 0.03) < 1e-12);
    assert_true(fabs(s.hi - 0.07) < 1e-12);
    s = plot_scale(5, 5, 4); /* flat: padded */
    assert_true(s.lo < 5 && s.hi > 5);
    s = plot_scale(NAN, 1, 4);
    assert_true(s.hi > s.lo);
    /* rows: the top is hi, the bottom lo */
    s = plot_scale(0, 100, 6);
    assert_int_equal(plot_row(&s, 100, 11), 0);
    assert_int_equal(plot_row(&s, 0, 11), 10);
    assert_int_equal(plot_row(&s, 50, 11), 5);
    assert_int_equal(plot_row(&s, 1e9, 11), 0);
    assert_int_equal(plot_row(&s, -1e9, 11), 10);
    assert_int_equal(plot_col(1, 1, 29, 43), 0);
    assert_int_equal(plot_col(29, 1, 29, 43), 42);
    assert_int_equal(plot_col(15, 1, 29, 43), 21);
    assert_int_equal(plot_col(3, 1, 1, 43), 0);
}

static void tick_labels(void **state)
{
    (void)state;
    char a[32], b[32];
    /* a training loss between 0.0255 and 0.037: every tick reads differently */
    PlotScale s = plot_scale(0.0255, 0.037, 7);
    assert_true(fabs(s.step - 0.002) < 1e-12);
    for (int t = 0; t + 1 < s.ticks; t++) {
        plot_tick_label(&s, s.lo + t * s.step, a, sizeof a);
        plot_tick_label(&s, s.lo + (t + 1) * s.step, b, sizeof b);
        assert_string_not_equal(a, b);
    }
    plot_tick_label(&s, 0.026, a, sizeof a);
    assert_string_equal(a, "0.026");
    s = plot_scale(-0.5, 0.5, 11); /* a tick at zero that rounding left below it */
    plot_tick_label(&s, -1e-17, a, sizeof a);
    assert_string_equal(a, "0.0");
    s = plot_scale(0, 959, 6); /* whole steps: format_compact's labels */
    plot_tick_label(&s, 800, a, sizeof a);
    assert_string_equal(a, "800");
    s = plot_scale(10000, 12000, 5);
    plot_tick_label(&s, 12000, a, sizeof a);
    assert_string_equal(a, "12k");
}

static void count_columns(void **state)
{
    (void)state;
    char out[5][16];
    const size_t ml100k[5] = {19834, 31863, 24997, 10459, 5673};
    format_count_column(ml100k, 5, out);
    assert_string_equal(out[0], "19.8k");
    assert_string_equal(out[2], "25.0k"); /* not "25k" beside "19.8k" */
    assert_string_equal(out[4], "5.7k");  /* not "5673" */
    const size_t skewed[3] = {133027, 400, 0};
    format_count_column(skewed, 3, out);
    assert_string_equal(out[0], "133k");
    assert_string_equal(out[1], "0.4k"); /* not "0k" beside a true 0 */
    assert_string_equal(out[2], "0k");
    const size_t big[2] = {999986, 3000};
    format_count_column(big, 2, out);
    assert_string_equal(out[0], "1.00M");
    assert_string_equal(out[1], "0.003M");
    const size_t small[2] = {3970, 748};
    format_count_column(small, 2, out);
    assert_string_equal(out[0], "3970");
    assert_string_equal(out[1], "748");
}

static void compact_numbers(void **state)
{
    (void)state;
    char b[32];
    format_compact(959, b, sizeof b);
    assert_string_equal(b, "959");
    format_compact(12345, b, sizeof b);
    assert_string_equal(b, "12.3k");
    format_compact(10000, b, sizeof b);
    assert_string_equal(b, "10k");
    format_compact(250000, b, sizeof b);
    assert_string_equal(b, "250k");
    format_compact(2000000, b, sizeof b);
    assert_string_equal(b, "2M");
    format_compact(999986, b, sizeof b); /* a 1M panel less a dropped user: not "1000k" */
    assert_string_equal(b, "1M");
    format_compact(999400, b, sizeof b);
    assert_string_equal(b, "999k");
    format_compact(0.5, b, sizeof b);
    assert_string_equal(b, "0.5");
    format_compact(0.07, b, sizeof b);
    assert_string_equal(b, "0.07");
    format_compact(38.5, b, sizeof b);
    assert_string_equal(b, "38.5");
    format_compact(0, b, sizeof b);
    assert_string_equal(b, "0");
    format_compact(NAN, b, sizeof b);
    assert_string_equal(b, "-");
}

static void age_axis(void **state)
{
    (void)state;
    assert_true(age_band_position(18) == 1.0);                   /* the start of 18-24 */
    assert_true(fabs(age_band_position(30) - (2 + 0.5)) < 1e-9); /* 25-34: 5 of 10 */
    assert_true(age_band_position(9) == 0.5);                    /* under 18: 0..18 */
    assert_true(age_band_position(80) == 7.0);                   /* 56+ ends at 75 */
    assert_true(age_band_position(NAN) < 0);
    double v[3] = {1, 4, 2};
    int e[3];
    histogram_heights(v, 3, 4, e);
    assert_int_equal(e[1], 32);
    assert_int_equal(e[0], 8);
    assert_int_equal(e[2], 16);
}

static void text_clipping(void **state)
{
    (void)state;
    int cols;
    assert_int_equal(text_clip("Star Wars", 4, true, &cols), 4);
    assert_int_equal(cols, 4);
    /* "Café" is 5 bytes, 4 columns */
    assert_int_equal(text_clip("Caf\xc3\xa9!", 4, true, &cols), 5);
    assert_int_equal(cols, 4);
    assert_int_equal(text_columns("Caf\xc3\xa9", true), 4);
    /* without UTF-8 every character is one column ('?') */
    assert_int_equal(text_columns("Caf\xc3\xa9", false), 4);
    /* a bad byte counts one column and does not run past the end */
    assert_int_equal(text_columns("a\xff"
                                  "b",
                                  true),
                     3);
    assert_int_equal(text_clip("\xe2\x96", 10, true, &cols), 2);
}

static void colour_schemes(void **state)
{
    (void)state;
    assert_int_equal(crt_pick_scheme(NULL, true, 256), SCHEME_256);
    assert_int_equal(crt_pick_scheme("", true, 256), SCHEME_256); /* NO_COLOR empty: ignored */
    assert_int_equal(crt_pick_scheme("1", true, 256), SCHEME_MONO);
    assert_int_equal(crt_pick_scheme(NULL, true, 8), SCHEME_8);
    assert_int_equal(crt_pick_scheme(NULL, false, 0), SCHEME_MONO);
    assert_int_equal(crt_pick_scheme(NULL, true, 2), SCHEME_MONO);
    const Glyphs *a = crt_glyphs(false);
    const char *all[] = {a->block,     a->vline, a->hline, a->corner,   a->point,
                         a->point_alt, a->knee,  a->mark,  a->ellipsis, a->star};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        for (const char *p = all[i]; *p; p++)
            assert_true((unsigned char)*p < 0x80); /* ASCII glyphs are ASCII */
    for (int l = 0; l < HEAT_LEVELS; l++)
        assert_true((unsigned char)a->shade[l][0] < 0x80);
}

/* ESCDELAY: a whole number of ms in 0..10000, else the default 100 (ncurses
 * took an empty or bad value for its own default, a second). */
static void escape_delay(void **state)
{
    (void)state;
    assert_int_equal(crt_escape_delay(NULL), 100);
    assert_int_equal(crt_escape_delay("25"), 25);
    assert_int_equal(crt_escape_delay("0"), 0);
    assert_int_equal(crt_escape_delay("10000"), 10000);
    const char *bad[] = {
        "", "abc", "-5", "+5", " 5", "5ms", "1.5", "10001", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(crt_escape_delay(bad[i]), 100);
}

/* A list cut short keeps the rows the line in short names: the last rows
 * not named give way to them, both in their order. */
static void bar_rows_keep_named(void **state)
{
    (void)state;
    const char *labels[6] = {"a", "b", "c", "d", "e", "f"};
    BarRow rows[6];
    for (int i = 0; i < 6; i++)
        rows[i] = (BarRow){.label = labels[i], .value = 6 - i};
    bool keep[6] = {false, true, false, false, true, true}; /* b, e and f named */
    bar_rows_keep(rows, keep, 6, 4);                        /* 4 of 6 shown */
    const char *want[6] = {"a", "b", "e", "f", "c", "d"};
    for (int i = 0; i < 6; i++)
        assert_string_equal(rows[i].label, want[i]);
    /* all fit, or none named past the cut: nothing moves */
    BarRow same[3] = {{.label = "x"}, {.label = "y"}, {.label = "z"}};
    bool none[3] = {false, false, true};
    bar_rows_keep(same, none, 3, 3);
    bar_rows_keep(same, none + 0, 2, 1);
    assert_string_equal(same[0].label, "x");
    assert_string_equal(same[1].label, "y");
    assert_string_equal(same[2].label, "z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(screen_areas),  cmocka_unit_test(tabs_hit_boxes),
        cmocka_unit_test(rect_cuts),     cmocka_unit_test(scroll_windows),
        cmocka_unit_test(bar_lengths),   cmocka_unit_test(plot_scales),
        cmocka_unit_test(tick_labels),   cmocka_unit_test(compact_numbers),
        cmocka_unit_test(count_columns), cmocka_unit_test(age_axis),
        cmocka_unit_test(text_clipping), cmocka_unit_test(colour_schemes),
        cmocka_unit_test(escape_delay),  cmocka_unit_test(bar_rows_keep_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
