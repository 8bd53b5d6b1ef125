/* test_tui_data.c: unit tests of what the explorer computes from a panel:
 * the US tile map, shade levels, the PCRE2 title filter and the filtered
 * top films (equal to profile_top_films without a filter), how many score
 * columns the films pane fits, titles without their year, the progress
 * bar's fraction, and the training
 * worker (a result handed over, every stage followed, a cancel, progress
 * published). */
#include "test_util.h"

#include "../../src/tui/films.h"
#include "../../src/tui/filter.h"
#include "../../src/tui/widgets.h"
#include "../../src/tui/worker.h"

#include "filmseg/profile.h"
#include "filmseg/states.h"
#include "filmseg/tui.h"

#include <math.h>
#include <time.h>

static void tile_map(void **state)
{
    (void)state;
    assert_int_equal(tilemap_tiles(), 51); /* 50 states and DC */
    int row, col, seen[TILE_ROWS][TILE_COLS] = {{0}};
    int placed = 0;
    for (size_t s = 1; s < state_count(); s++)
        if (tilemap_position((int)s, &row, &col)) {
            assert_true(row >= 0 && row < TILE_ROWS && col >= 0 && col < TILE_COLS);
            assert_int_equal(seen[row][col], 0); /* one state per tile */
            seen[row][col] = 1;
            placed++;
        }
    assert_int_equal(placed, 51);
    assert_false(tilemap_position(STATE_UNKNOWN, &row, &col));
    assert_false(tilemap_position(state_find("PR", 2), &row, &col)); /* territories: no tile */
    /* roughly where they lie: west left of east, north above south */
    int wa_r, wa_c, fl_r, fl_c, me_r, me_c, ca_r, ca_c, tx_r, tx_c;
    assert_true(tilemap_position(state_find("WA", 2), &wa_r, &wa_c));
    assert_true(tilemap_position(state_find("FL", 2), &fl_r, &fl_c));
    assert_true(tilemap_position(state_find("ME", 2), &me_r, &me_c));
    assert_true(tilemap_position(state_find("CA", 2), &ca_r, &ca_c));
    assert_true(tilemap_position(state_find("TX", 2), &tx_r, &tx_c));
    assert_true(wa_c < me_c && wa_r < fl_r && ca_c < tx_c && me_r < tx_r && ca_c < fl_c);
}

static void shade_levels(void **state)
{
    (void)state;
    assert_int_equal(tilemap_count_level(0, 100), 0);
    assert_int_equal(tilemap_count_level(100, 100), HEAT_LEVELS - 1);
    assert_int_equal(tilemap_count_level(1, 100), 1);
    assert_true(tilemap_count_level(25, 100) < tilemap_count_level(64, 100));
    assert_int_equal(tilemap_index_level(100, true), 3);
    assert_int_equal(tilemap_index_level(340, true), 5);
    assert_int_equal(tilemap_index_level(20, true), 1);
    assert_int_equal(tilemap_index_level(0, false), 0);
    assert_int_equal(heat_level(0), 0);
    assert_int_equal(heat_level(0.05), 1);
    assert_int_equal(heat_level(0.001), 1);  /* prints 0, but some did */
    assert_int_equal(heat_level(0.0996), 2); /* prints 10: "10-20" */
    assert_int_equal(heat_level(0.15), 2);
    assert_int_equal(heat_level(0.3), 3);
    assert_int_equal(heat_level(0.346), 4); /* both print 35: shaded alike */
    assert_int_equal(heat_level(0.354), 4);
    assert_int_equal(heat_level(0.5), 4);
    assert_int_equal(heat_level(0.504), 4); /* prints 50: "35-50" */
    assert_int_equal(heat_level(0.51), 5);
    assert_int_equal(heat_level(1), 5);
    assert_int_equal(heat_level(NAN), 0);
}

/* Lifts in at most 5 columns, whatever their size (a segment that likes
 * little can give one film a lift of hundreds). */
static void lifts_fit_five_columns(void **state)
{
    (void)state;
    static const struct {
        double lift;
        const char *text;
    } cases[] = {{3.25, "3.2x"},    {99.9, "99.9x"},   {99.96, "100x"}, {495.5, "496x"},
                 {9999.4, "9999x"}, {9999.5, ">9999"}, {1e9, ">9999"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[16];
        format_lift(cases[i].lift, text, sizeof text);
        assert_string_equal(text, cases[i].text);
        assert_true(strlen(text) <= 5);
    }
}

static void unfiltered_top_on_ml100k(void **state)
{
    (void)state;
    Panel *p = shared_ml100k_panel();
    if (!p)
        skip();
    /* the filtered top list is profile_top_films when nothing is filtered */
    for (int score = 1; score <= 5; score++) {
        FilmCount want[10], got[10];
        size_t nw = profile_top_films(p, NULL, 0, score, want, 10);
        size_t ng = films_top(p, NULL, 0, score, NULL, got, 10);
        assert_int_equal(nw, ng);
        for (size_t i = 0; i < nw; i++) {
            assert_int_equal(want[i].film, got[i].film);
            assert_int_equal(want[i].count, got[i].count);
        }
    }
    panel_free(p);
}

static void title_filter(void **state)
{
    (void)state;
    TitleFilter f;
    title_filter_init(&f);
    assert_true(title_filter_match(&f, "anything"));
    char error[256];
    assert_true(title_filter_set(&f, "star\\s+wars", error, sizeof error));
    assert_true(title_filter_active(&f));
    assert_true(title_filter_match(&f, "Star Wars (1977)")); /* caseless */
    assert_false(title_filter_match(&f, "Fargo (1996)"));
    assert_true(title_filter_match(&f, "STAR  WARS"));
    /* an invalid pattern says why and keeps the old one */
    assert_false(title_filter_set(&f, "(unclosed", error, sizeof error));
    assert_non_null(strstr(error, "missing closing parenthesis at its end"));
    assert_false(title_filter_set(&f, "a)b", error, sizeof error)); /* where it is found wrong */
    assert_non_null(strstr(error, "at character 2"));
    assert_string_equal(f.pattern, "star\\s+wars");
    assert_false(title_filter_match(&f, "Fargo (1996)"));
    /* UTF-8 titles, and bytes that are not UTF-8, are safe */
    assert_true(title_filter_set(&f, "caf\xc3\xa9", error, sizeof error));
    assert_true(title_filter_match(&f, "Fjord Caf\xc3\xa9 (1989)"));
    assert_false(title_filter_match(&f, "bad \xff bytes"));
    /* accents need not be typed (an ASCII terminal shows the title without) */
    assert_true(title_filter_set(&f, "miserables", error, sizeof error));
    assert_true(title_filter_match(&f, "Mis\xc3\xa9rables, Les (1995)"));
    assert_false(title_filter_match(&f, "Misfits (1961)"));
    assert_true(title_filter_set(&f, "mis\xc3\xa9r", error, sizeof error)); /* or typed */
    assert_true(title_filter_match(&f, "Mis\xc3\xa9rables, Les (1995)"));
    /* beyond Latin-1, letters of two, and what has no plain letters */
    assert_true(title_filter_set(&f, "^skola|oeuvre|strasse", error, sizeof error));
    assert_true(title_filter_match(&f, "\xc5\xa0kola (1991)"));
    assert_true(title_filter_match(&f, "\xc5\x92uvre Noire (1990)"));
    assert_true(title_filter_match(&f, "Stra\xc3\x9f"
                                       "e (1990)"));
    assert_true(title_filter_set(&f, "\\?", error, sizeof error)); /* no '?' stands in */
    assert_false(title_filter_match(&f, "\xe6\x9d\xb1\xe4\xba\xac (1953)"));
    assert_false(title_filter_match(&f, "\xc5\xa0kola (1991)"));
    char folded[32];
    tui_fold_accents("Caf\xc3\xa9 \xe2\x98\x85 \xc3\x91\xc3\x86", folded);
    assert_string_equal(folded, "Cafe \xe2\x98\x85 NAE");
    /* a long title is folded whole */
    char long_title[700];
    memset(long_title, 'x', 600);
    snprintf(long_title + 600, sizeof long_title - 600,
             " \xc3\x89"
             "clair (2000)");
    assert_true(title_filter_set(&f, "eclair", error, sizeof error));
    assert_true(title_filter_match(&f, long_title));
    /* films_top with the filter */
    Panel *p = three_film_panel();
    assert_true(title_filter_set(&f, "^f", error, sizeof error));
    FilmCount top[10];
    size_t n = films_top(p, NULL, 0, 5, &f, top, 10);
    assert_int_equal(n, 1);
    assert_int_equal(p->films[top[0].film].id, 5);
    assert_int_equal(top[0].count, 2);
    /* an empty pattern clears */
    assert_true(title_filter_set(&f, "", error, sizeof error));
    assert_false(title_filter_active(&f));
    assert_int_equal(films_top(p, NULL, 0, 5, &f, top, 10), 3);
    title_filter_free(&f);
    panel_free(p);
}

static Panel *demo_panel(void)
{
    PanelOptions o;
    panel_options_default(&o);
    CapturedDiag c;
    captured_diag_init(&c, false);
    Panel *p = NULL;
    assert_int_equal(panel_load_demo(&o, &c.diag, &p), 0);
    captured_diag_free(&c);
    return p;
}

static void films_columns(void **state)
{
    (void)state;
    assert_int_equal(films_columns_shown(80), 3); /* the smallest terminal: 26 each */
    assert_int_equal(films_columns_shown(100), 3);
    assert_int_equal(films_columns_shown(104), 4);
    assert_int_equal(films_columns_shown(128), 4);
    assert_int_equal(films_columns_shown(129), 5);
    assert_int_equal(films_columns_shown(300), 5);
    assert_int_equal(films_columns_shown(10), 1); /* never none */
    assert_int_equal(films_columns_shown(0), 1);
    for (int width = FILMS_MIN_COLUMN; width < 400; width++) {
        int n = films_columns_shown(width), column = (width - (n - 1)) / n;
        assert_true(column >= FILMS_MIN_COLUMN);
        if (n < 5) /* one more would not have fitted */
            assert_true((width - n) / (n + 1) < FILMS_MIN_COLUMN);
    }
}

static void titles_without_year(void **state)
{
    (void)state;
    char out[64] = "untouched";
    assert_true(films_title_without_year("Star Wars (1977)", out, sizeof out));
    assert_string_equal(out, "Star Wars");
    assert_true(films_title_without_year("English Patient, The (1996)", out, sizeof out));
    assert_string_equal(out, "English Patient, The");
    strcpy(out, "untouched");
    assert_false(films_title_without_year("Heat", out, sizeof out));
    assert_false(films_title_without_year("Seven (199x)", out, sizeof out));
    assert_false(films_title_without_year("Seven(1995)", out, sizeof out));
    assert_false(films_title_without_year("Star Wars (1977)", out, 8)); /* too long */
    assert_string_equal(out, "untouched");
}

/* The progress bar's fraction: the stages that run, in order; the stability
 * stage only when it is measured. */
/* The status line's progress: no "0/0" before a stage's first step. */
static void progress_text_of_each_moment(void **state)
{
    (void)state;
    TrainStatus s = {0};
    char text[64];
    s.stage = -1;
    train_progress_text(&s, text, sizeof text);
    assert_string_equal(text, "starting");
    s.stage = STAGE_CLASSIFIER;
    train_progress_text(&s, text, sizeof text);
    assert_string_equal(text, "classifier");
    s.step = 3;
    s.steps = 50;
    train_progress_text(&s, text, sizeof text);
    assert_string_equal(text, "classifier 3/50");
}

static void train_fraction_follows_the_stages(void **state)
{
    (void)state;
    Panel panel; /* ml-100k's sample, in size */
    memset(&panel, 0, sizeof panel);
    panel.n_users = 872;
    panel.n_films = 1668;
    panel.n_ratings = 92826;
    TrainStatus s;
    memset(&s, 0, sizeof s);
    s.state = WORKER_RUNNING;
    s.stage = -1;
    assert_true(train_fraction(&s) == 0);
    pipeline_options_default(&s.options);
    train_stage_costs(&panel, &s.options, s.stage_cost);
    s.stage = STAGE_CLASSIFIER; /* the classifier done, the stability to come */
    s.step = s.steps = 10;
    double before_stability = train_fraction(&s); /* 5 refits: about a fifth */
    assert_true(before_stability > 0.7 && before_stability < 0.9);
    s.stage = STAGE_STABILITY;
    s.step = 2;
    s.steps = 4;
    double halfway = train_fraction(&s);
    assert_true(halfway > before_stability && halfway < 1);
    s.step = 4;
    assert_float_equal(train_fraction(&s), 1.0, 1e-12);
    /* 100 refits: most of the run (a reviewer saw 80% done at 5 of 100) */
    s.options.stability = 100;
    train_stage_costs(&panel, &s.options, s.stage_cost);
    s.stage = STAGE_STABILITY;
    s.step = 5;
    s.steps = 100;
    assert_true(train_fraction(&s) < 0.3);
    s.step = 50;
    assert_true(fabs(train_fraction(&s) - 0.5) < 0.1);
    /* more epochs, a wider sweep: the stages' weights follow */
    s.options.stability = 5;
    s.options.ae.epochs = 1000;
    train_stage_costs(&panel, &s.options, s.stage_cost);
    s.stage = STAGE_AUTOENCODER;
    s.step = 500;
    s.steps = 1000;
    assert_true(fabs(train_fraction(&s) - 0.5) < 0.05);
    s.options.stability = 0; /* the study's method: the classifier ends it */
    s.options.ae.epochs = 100;
    train_stage_costs(&panel, &s.options, s.stage_cost);
    assert_true(s.stage_cost[STAGE_STABILITY] == 0);
    s.stage = STAGE_CLASSIFIER;
    s.step = s.steps = 10;
    assert_float_equal(train_fraction(&s), 1.0, 1e-12);
    s.step = 5;
    assert_true(train_fraction(&s) < 1);
    s.state = WORKER_DONE;
    assert_true(train_fraction(&s) == 1);
}

static void wait_finished(Worker *w)
{
    for (int i = 0; i < 60000 && worker_running(w); i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    assert_false(worker_running(w));
}

static void worker_trains_and_hands_over(void **state)
{
    (void)state;
    Panel *p = demo_panel();
    PipelineOptions o;
    pipeline_options_default(&o);
    o.ae.epochs = 5;
    o.kmax = 8;
    Worker w;
    worker_init(&w);
    assert_true(worker_start(&w, p, &o));
    wait_finished(&w);
    /* no new run over a result not taken yet: it would be lost */
    assert_false(worker_start(&w, p, &o));
    TrainStatus s;
    memset(&s, 0, sizeof s);
    worker_snapshot(&w, &s);
    assert_int_equal(s.state, WORKER_DONE);
    assert_int_equal(s.ae_loss.n, 5); /* one point per epoch */
    assert_int_equal(s.inertia.n, 8); /* one per k */
    assert_true(s.clf_acc.n > 0);
    assert_true(train_fraction(&s) == 1);
    Segmentation *seg = worker_take_result(&w);
    assert_non_null(seg);
    assert_null(worker_take_result(&w)); /* handed over once */
    assert_int_equal(seg->sweep.kmax, 8);
    assert_non_null(segmentation_labels(seg, 3));
    /* the status of a loaded model comes from its histories */
    TrainStatus from;
    memset(&from, 0, sizeof from);
    train_status_from_seg(&from, seg);
    assert_int_equal(from.ae_loss.n, 5);
    assert_int_equal(from.inertia.n, 8);
    train_status_free(&from);

    /* a classifier job at another k keeps the other stages' curves, goes
     * from 0 to 1 on its own epochs and hands over a network for that k */
    assert_true(worker_start_classifier(&w, p, seg, 3));
    wait_finished(&w);
    assert_false(worker_start_classifier(&w, p, seg, 4)); /* nor over a classifier */
    worker_snapshot(&w, &s);
    assert_int_equal(s.state, WORKER_DONE);
    assert_true(s.classifier_only);
    assert_int_equal(s.options.k, 3);
    assert_int_equal(s.ae_loss.n, 5);
    assert_int_equal(s.inertia.n, 8);
    assert_true(s.clf_acc.n > 0);
    assert_null(worker_take_result(&w));
    ClassifierResult clf;
    assert_true(worker_take_classifier(&w, &clf));
    assert_false(worker_take_classifier(&w, &clf)); /* handed over once */
    assert_int_equal(clf.k, 3);
    assert_int_equal(clf.classifier.k, 3);
    assert_int_equal(clf.report.epochs_run, s.clf_acc.n);
    s.state = WORKER_RUNNING;
    s.step = 1;
    s.steps = 4;
    assert_float_equal(train_fraction(&s), 0.25, 1e-12);
    classifier_free(&clf.classifier);
    classifier_report_free(&clf.report);
    segmentation_free(seg);
    free(seg);
    train_status_free(&s);
    worker_free(&w);
    panel_free(p);
}

/* The explorer's training pane follows every stage: polled while a run goes
 * (each progress event held 20 ms by the worker's test hook), the status
 * shows the stages in order, and the sweep's and the stability's steps under
 * their own stage, counted to kmax and to the refits. */
static void worker_follows_every_stage(void **state)
{
    (void)state;
    Panel *p = demo_panel();
    PipelineOptions o;
    pipeline_options_default(&o);
    o.ae.epochs = 3;
    o.kmax = 6;
    o.k = 3;
    o.stability = 3;
    o.classifier.epochs = 2;
    setenv("FILMSEG_TUI_TRAIN_DELAY_MS", "20", 1);
    Worker w;
    worker_init(&w);
    unsetenv("FILMSEG_TUI_TRAIN_DELAY_MS");
    assert_true(worker_start(&w, p, &o));
    TrainStatus s;
    memset(&s, 0, sizeof s);
    int last_stage = -1, top_step[STAGE_COUNT] = {0}, steps_of[STAGE_COUNT] = {0};
    for (int i = 0; i < 120000 && worker_running(&w); i++) {
        worker_snapshot(&w, &s);
        if (s.state == WORKER_RUNNING && s.stage >= 0) {
            assert_true(s.stage >= last_stage); /* never back */
            last_stage = s.stage;
            if (s.step > top_step[s.stage]) {
                top_step[s.stage] = s.step;
                steps_of[s.stage] = s.steps;
            }
        }
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    wait_finished(&w);
    worker_snapshot(&w, &s);
    assert_int_equal(s.state, WORKER_DONE);
    assert_int_equal(last_stage, STAGE_STABILITY);
    assert_true(top_step[STAGE_AUTOENCODER] > 0);
    assert_int_equal(steps_of[STAGE_AUTOENCODER], 3);
    assert_true(top_step[STAGE_SWEEP] > 0);
    assert_int_equal(steps_of[STAGE_SWEEP], 6);
    assert_int_equal(s.inertia.n, 6); /* the sweep's steps were its own */
    assert_true(top_step[STAGE_CLASSIFIER] > 0);
    assert_true(top_step[STAGE_STABILITY] > 0);
    assert_int_equal(steps_of[STAGE_STABILITY], 3);
    Segmentation *seg = worker_take_result(&w);
    assert_non_null(seg);
    segmentation_free(seg);
    free(seg);
    train_status_free(&s);
    worker_free(&w);
    panel_free(p);
}

static void worker_cancels(void **state)
{
    (void)state;
    Panel *p = demo_panel();
    PipelineOptions o;
    pipeline_options_default(&o);
    o.ae.epochs = 100000; /* far longer than the test */
    Worker w;
    worker_init(&w);
    assert_true(worker_start(&w, p, &o));
    assert_false(worker_start(&w, p, &o)); /* one run at a time */
    TrainStatus s;
    memset(&s, 0, sizeof s);
    for (int i = 0; i < 10000; i++) { /* wait for a few epochs */
        worker_snapshot(&w, &s);
        if (s.ae_loss.n >= 3)
            break;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    assert_true(s.ae_loss.n >= 3);
    assert_int_equal(s.stage, STAGE_AUTOENCODER);
    assert_true(s.steps == 100000);
    double left = train_seconds_left(&s, tui_now());
    assert_true(isnan(left) || left > 0);
    worker_cancel(&w, false);
    wait_finished(&w);
    worker_snapshot(&w, &s);
    assert_int_equal(s.state, WORKER_CANCELLED);
    assert_null(worker_take_result(&w));
    /* keeping what is done is for the stability stage: in the autoencoder
     * nothing is done, and the run is cancelled all the same */
    assert_true(worker_start(&w, p, &o));
    worker_snapshot(&w, &s); /* the new run's series, empty */
    for (int i = 0; i < 10000 && s.ae_loss.n < 1; i++) {
        worker_snapshot(&w, &s);
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    worker_cancel(&w, true);
    wait_finished(&w);
    worker_snapshot(&w, &s);
    assert_int_equal(s.state, WORKER_CANCELLED);
    assert_null(worker_take_result(&w));
    train_status_free(&s);
    worker_free(&w);
    panel_free(p);
}

static void worker_reports_failure(void **state)
{
    (void)state;
    Panel *p = demo_panel();
    PipelineOptions o;
    pipeline_options_default(&o);
    o.kmax = 1000; /* more than the users */
    o.k = 5;
    Worker w;
    worker_init(&w);
    assert_true(worker_start(&w, p, &o));
    wait_finished(&w);
    TrainStatus s;
    memset(&s, 0, sizeof s);
    worker_snapshot(&w, &s);
    assert_int_equal(s.state, WORKER_FAILED);
    assert_non_null(strstr(s.error, "too few"));
    assert_null(worker_take_result(&w));
    train_status_free(&s);
    worker_free(&w);
    panel_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tile_map),
        cmocka_unit_test(shade_levels),
        cmocka_unit_test(lifts_fit_five_columns),
        cmocka_unit_test(unfiltered_top_on_ml100k),
        cmocka_unit_test(title_filter),
        cmocka_unit_test(films_columns),
        cmocka_unit_test(titles_without_year),
        cmocka_unit_test(progress_text_of_each_moment),
        cmocka_unit_test(train_fraction_follows_the_stages),
        cmocka_unit_test(worker_trains_and_hands_over),
        cmocka_unit_test(worker_follows_every_stage),
        cmocka_unit_test(worker_cancels),
        cmocka_unit_test(worker_reports_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
