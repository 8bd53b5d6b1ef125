/* manager.c: the explorer's screen manager and event loop: the tab bar, the
 * status line, the help overlay, the filter prompt and the retrain form, the
 * global keys, the mouse, resizing, the training worker's hand-over, and
 * the timing hook (FILMSEG_TUI_TIMING). It knows nothing about what a pane
 * shows: panes draw themselves and get the keys first. */
#include "app.h"
#include "crt.h"

#include "filmseg/clock.h"
#include "filmseg/model.h"
#include "filmseg/text.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <stdatomic.h>
#include <unistd.h>

static const Pane *const PANES[PANE_COUNT] = {&PANE_AUDIENCE_DEF, &PANE_ELBOW_DEF,
                                              &PANE_SEGMENTS_DEF, &PANE_FILMS_DEF,
                                              &PANE_HEATMAP_DEF,  &PANE_TRAINING_DEF};

/* Nanoseconds the process spent stopped (Ctrl-Z until fg), added by the
 * event loop on SIGCONT: tui_now leaves them out, so that elapsed times
 * and estimates do not count them (training stopped with the process). */
static _Atomic long long stopped_ns;

double tui_now(void)
{
    return monotonic_seconds() - (double)atomic_load(&stopped_ns) * 1e-9;
}

bool tui_available(void)
{
    return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}

static void tab_names(const char **names)
{
    for (int i = 0; i < PANE_COUNT; i++)
        names[i] = PANES[i]->name;
}

/* ---- help ---- */

static const char *const HELP[] = {
    "Keys",
    "1-6, Tab, S-Tab   switch pane (or click a tab)",
    "Left/Right, h/l   Elbow: choose k (every pane follows);",
    "                  Segments, Heatmap: previous / next segment;",
    "                  Films: other scores when not all fit",
    "+ -, n            k up / down from any pane; n (Elbow): the knee",
    "[ ], PgUp/PgDn    previous / next segment",
    "Up/Down, j/k      scroll (heatmap; Home/End: top, bottom)",
    "g                 Segments: who / their taste / all genres",
    "/                 Films: filter titles (PCRE2; empty clears)",
    "a                 Films: segment / whole sample",
    "r, d              Heatmap: r another sample, d distinctive films",
    "t                 retrain with other settings (a form)",
    "x                 cancel training (stability stage: keeps the run)",
    "s, S              save the model at the k shown (S: as another file)",
    "e                 export this k's segments as CSV tables",
    "Ctrl-L            redraw",
    "?, F1             this help (? again: the words; other keys close)",
    "q, F10, Ctrl-C    quit (asks first if a model is unsaved)",
};

static const char *const WORDS[] = {
    "Words on screen",
    "index       share against everyone's, x100 (100: as everyone)",
    "AMI         how much segments follow a demographic, or how much",
    "            their users rate (0 none, 1 all)",
    "inertia     users' squared distances to their segment's centre",
    "knee        where inertia stops falling fast (compactness, not",
    "            taste: finer segments can still part tastes better)",
    "chosen      the k shown (the model's, or the one moved to)",
    "silhouette  how clearly users sit in their segment (-1..1)",
    "stability   how alike segments come back from samples (0..1):",
    "            a k's (elbow) as adjusted Rand index, no threshold;",
    "            a segment's: under 0.6 untrustworthy, 0.75+ valid",
    "weakest     a k's least stable segment (! under 0.6, ? to 0.75)",
    "lift        a film's share of the segment's likes over its",
    "            share of everyone's (x: times as much)",
    "liked       rated 4 or 5 stars (3.5 and 4.5 too)",
    "kept: val   the classifier's accuracy on users it did not learn",
    "PCRE2       Perl-style title patterns, case-insensitive",
    "any key closes this",
};

/* An overlay's box: blank inside, framed, so that it stands apart from the
 * pane under it without colours too (NO_COLOR). */
static void draw_box(int y, int x, int h, int w)
{
    static const char *const UTF8[4] = {"\u250c", "\u2510", "\u2514", "\u2518"};
    static const char *const ASCII[4] = {"+", "+", "+", "+"};
    const char *const *corner = crt.utf8 ? UTF8 : ASCII; /* top left, right, bottom left, right */
    const char *hline = crt.utf8 ? "\u2500" : "-", *vline = crt.utf8 ? "\u2502" : "|";
    for (int i = 0; i < h; i++)
        tui_fill(y + i, x, w, " ");
    tui_fill(y, x + 1, w - 2, hline);
    tui_fill(y + h - 1, x + 1, w - 2, hline);
    for (int i = 1; i < h - 1; i++) {
        tui_text(y + i, x, 1, vline);
        tui_text(y + i, x + w - 1, 1, vline);
    }
    tui_text(y, x, 1, corner[0]);
    tui_text(y, x + w - 1, 1, corner[1]);
    tui_text(y + h - 1, x, 1, corner[2]);
    tui_text(y + h - 1, x + w - 1, 1, corner[3]);
}

/* The help overlay: page 1 the keys, page 2 the words on screen. */
static void draw_help(Rect pane, int page)
{
    const char *const *lines = page == 2 ? WORDS : HELP;
    int n = page == 2 ? (int)(sizeof WORDS / sizeof WORDS[0]) : (int)(sizeof HELP / sizeof HELP[0]);
    int w = 70, h = n + 3;
    if (w > pane.w - 2)
        w = pane.w - 2;
    if (h > pane.h)
        h = pane.h;
    int y = pane.y + (pane.h - h) / 2, x = pane.x + (pane.w - w) / 2;
    crt_set(CE_HELP);
    draw_box(y, x, h, w);
    for (int i = 0; i < n && i + 2 < h; i++) {
        crt_set(CE_HELP);
        if (i == 0)
            attron(A_BOLD);
        tui_text(y + 1 + i, x + 2, w - 4, lines[i]);
    }
    crt_set(CE_NORMAL);
}

/* ---- the retrain form ---- */

/* Drops the last UTF-8 character of text (len bytes); returns the new length. */
static size_t utf8_drop_last(char *text, size_t len)
{
    while (len > 0) {
        unsigned char c = (unsigned char)text[--len];
        text[len] = 0;
        if ((c & 0xc0) != 0x80)
            break;
    }
    return len;
}

/* Ctrl-W in the prompt and the form: the length of text (len bytes) without
 * its last word and the spaces after it. */
static size_t drop_last_word(const char *text, size_t len)
{
    while (len > 0 && text[len - 1] == ' ')
        len--;
    while (len > 0 && text[len - 1] != ' ')
        len--;
    return len;
}

static const char *const FORM_LABEL[FORM_FIELDS] = {
    "method (Space)", "k (segments)",        "K (sweep k = 1..K)", "autoencoder epochs",
    "hidden units",   "demographics weight", "genre weight",       "recency",
    "seed",           "stability refits"};

/* The fields a method sets: its preset's demographics and genre weights,
 * recency and stability refits (the others stay as the user left them). */
static void form_method_fields(TuiApp *app, const PipelineOptions *o)
{
    snprintf(app->form_value[FORM_METHOD], 24, "%s",
             o->ae.loss == AE_LOSS_STUDY ? "study" : "filmseg");
    if (o->features.demo_weight < 0) /* the study's join of unscaled blocks */
        snprintf(app->form_value[FORM_WEIGHT], 24, "unscaled");
    else
        snprintf(app->form_value[FORM_WEIGHT], 24, "%g", o->features.demo_weight);
    snprintf(app->form_value[FORM_GENRES], 24, "%g", o->features.genre_weight);
    snprintf(app->form_value[FORM_RECENCY], 24, "%g", o->features.recency);
    snprintf(app->form_value[FORM_STABILITY], 24, "%d", o->stability);
}

static void form_open(TuiApp *app)
{
    const PipelineOptions *o = app->form_run_pending ? &app->form_run
                               : app->seg            ? &app->seg->options
                                                     : &app->config->training;
    app->form_base = app->form_opened = *o;
    form_method_fields(app, o);
    snprintf(app->form_value[FORM_K], 24, "%d", app->seg && !app->form_run_pending ? app->k : o->k);
    snprintf(app->form_value[FORM_KMAX], 24, "%d", o->kmax);
    snprintf(app->form_value[FORM_EPOCHS], 24, "%d", o->ae.epochs);
    snprintf(app->form_value[FORM_HIDDEN], 24, "%d", o->ae.hidden);
    snprintf(app->form_value[FORM_SEED], 24, "%llu", (unsigned long long)o->seed);
    app->form = true;
    app->form_field = FORM_K;
    app->form_fresh = true;
}

/* Space on the method field: the other method, with its preset's settings
 * (those the form shows but k, K, epochs, hidden units and seed), or, back
 * on the method the form opened with, the settings it opened on. */
static void form_switch_method(TuiApp *app)
{
    PipelineOptions preset;
    bool to_study = strcmp(app->form_value[FORM_METHOD], "study") != 0;
    if (to_study == (app->form_opened.ae.loss == AE_LOSS_STUDY))
        preset = app->form_opened;
    else if (to_study)
        pipeline_options_study(&preset);
    else if (app->config->training.ae.loss == AE_LOSS_RATED)
        preset = app->config->training; /* filmseg's, with the settings it was started with */
    else
        pipeline_options_default(&preset);
    app->form_base = preset;
    form_method_fields(app, &preset);
}

/* A decimal number in [lo, hi] (not 0x10, 1e3, inf or nan, which strtod takes). */
static bool form_number(const char *s, double lo, double hi, double *out)
{
    double v;
    if (!text_parse_double((Field){s, strlen(s)}, &v) || !(v >= lo && v <= hi))
        return false;
    *out = v;
    return true;
}

/* Builds options from the form; false with a message when a field is bad. */
static bool form_options(TuiApp *app, PipelineOptions *o)
{
    /* each field's setting, whose bounds the command line's options share */
    static const TrainingSetting SETTING[FORM_FIELDS] = {[FORM_K] = TRAINING_K,
                                                         [FORM_KMAX] = TRAINING_KMAX,
                                                         [FORM_EPOCHS] = TRAINING_EPOCHS,
                                                         [FORM_HIDDEN] = TRAINING_HIDDEN,
                                                         [FORM_WEIGHT] = TRAINING_DEMO_WEIGHT,
                                                         [FORM_GENRES] = TRAINING_GENRE_WEIGHT,
                                                         [FORM_RECENCY] = TRAINING_RECENCY,
                                                         [FORM_SEED] = TRAINING_SEED,
                                                         [FORM_STABILITY] = TRAINING_STABILITY};
    double v[FORM_FIELDS] = {0};
    for (int f = FORM_METHOD + 1; f < FORM_FIELDS; f++) {
        if (f == FORM_WEIGHT && strcmp(app->form_value[f], "unscaled") == 0) {
            v[f] = -1; /* the study's join, as its preset sets it */
            continue;
        }
        const TrainingLimit *limit = &TRAINING_LIMITS[SETTING[f]];
        if (!form_number(app->form_value[f], limit->lo, limit->hi, &v[f]) ||
            (limit->whole && v[f] != floor(v[f]))) {
            app_message(app, true, "%s must be %s %.10g..%.10g%s", FORM_LABEL[f],
                        limit->whole ? "a whole number" : "a number", limit->lo, limit->hi,
                        f == FORM_WEIGHT ? " (the study's preset: unscaled)" : "");
            app->form_field = f;
            app->form_fresh = true;
            return false;
        }
    }
    if (v[FORM_K] > v[FORM_KMAX]) {
        app_message(app, true, "k %g is above K %g", v[FORM_K], v[FORM_KMAX]);
        return false;
    }
    if (v[FORM_KMAX] > (double)app->panel->n_users) {
        app_message(app, true, "K must be at most the %zu users", app->panel->n_users);
        return false;
    }
    size_t refit = kmeans_stability_points(app->panel->n_users);
    if (v[FORM_STABILITY] > 0 && v[FORM_KMAX] > (double)refit) {
        app_message(app, true, "K must be at most %zu to measure the stability (or 0 refits)",
                    refit);
        app->form_field = FORM_KMAX;
        app->form_fresh = true;
        return false;
    }
    *o = app->form_base;
    o->features.recency = v[FORM_RECENCY];
    o->features.genre_weight = v[FORM_GENRES];
    o->k = (int)v[FORM_K];
    o->kmax = (int)v[FORM_KMAX];
    o->ae.epochs = (int)v[FORM_EPOCHS];
    o->ae.hidden = (int)v[FORM_HIDDEN];
    o->features.demo_weight = v[FORM_WEIGHT];
    pipeline_options_seed(o, (uint64_t)v[FORM_SEED]);
    o->stability = (int)v[FORM_STABILITY];
    return true;
}

/* Enter: trains with the form's settings; while a run goes on, or over a
 * trained model not saved (until Enter again), the form stays open with
 * them. */
static void form_submit(TuiApp *app, bool confirmed)
{
    PipelineOptions o;
    if (!form_options(app, &o))
        return;
    if (worker_running(&app->worker)) {
        app_message(app, true, "training is running: x cancels it, then Enter starts this one");
        return;
    }
    if (app->unsaved && !confirmed) {
        app_message(app, true,
                    "the trained model is not saved: Enter again retrains over it (Esc, then s "
                    "saves it)");
        app->form_confirm = true;
        return;
    }
    app->form = false;
    if (app_train(app, &o)) {
        app->form_run = o;
        app->form_run_pending = true;
    }
    app->pane = PANE_TRAINING;
}

/* A byte typed or pasted into the form's field (UTF-8 comes a byte at a
 * time): any character, since Enter says what is wrong with it. replace:
 * the field was just entered, so typing replaces its value ('unscaled', a
 * word, not digits, is replaced whole too). */
static void form_type(TuiApp *app, unsigned char ch, bool replace)
{
    char *value = app->form_value[app->form_field];
    size_t len = strlen(value);
    if (replace || strcmp(value, "unscaled") == 0)
        value[len = 0] = '\0';
    if (len + 1 < sizeof app->form_value[0]) {
        value[len] = (char)ch;
        value[len + 1] = '\0';
    }
}

static void form_key(TuiApp *app, int ch)
{
    char *value = app->form_value[app->form_field];
    size_t len = strlen(value);
    int field = app->form_field;
    bool fresh = app->form_fresh; /* the field was just entered */
    app->form_fresh = false;
    bool confirmed = app->form_confirm; /* a second Enter: retrain over the unsaved model */
    app->form_confirm = false;
    bool enter = ch == '\n' || ch == '\r' || ch == KEY_ENTER;
    if (ch == 27) {
        app->form = false;
    } else if (ch == KEY_UP || ch == KEY_BTAB) {
        app->form_field = (app->form_field + FORM_FIELDS - 1) % FORM_FIELDS;
    } else if (ch == KEY_DOWN || ch == '\t') {
        app->form_field = (app->form_field + 1) % FORM_FIELDS;
    } else if (ch == ' ' && app->form_field != FORM_METHOD) {
        app->form_fresh = fresh; /* Space switches the method on its row only */
    } else if (ch == 'x' && worker_running(&app->worker)) { /* as outside the form */
        app_cancel_training(app, true);
    } else if (app->form_field == FORM_METHOD) {
        if (ch == ' ' || ch == KEY_LEFT || ch == KEY_RIGHT)
            form_switch_method(app);
        else if (enter)
            form_submit(app, confirmed);
    } else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
        if (strcmp(value, "unscaled") == 0) /* a word, not digits: it goes whole */
            value[0] = 0;
        else
            utf8_drop_last(value, len);
    } else if (ch == 21) { /* Ctrl-U: all of it, as in the filter prompt */
        value[0] = '\0';
    } else if (ch == 23) { /* Ctrl-W: the last word, as in the filter prompt */
        value[drop_last_word(value, len)] = '\0';
    } else if ((ch > ' ' && ch < 127) || (ch >= 0x80 && ch <= 0xff)) {
        form_type(app, (unsigned char)ch, fresh);
    } else if (enter) {
        form_submit(app, confirmed);
    }
    if (app->form_field != field)
        app->form_fresh = true;
}

static void draw_form(TuiApp *app, Rect pane)
{
    int w = 56, h = FORM_FIELDS + 6;
    int y = pane.y + (pane.h - h) / 2, x = pane.x + (pane.w - w) / 2;
    crt_set(CE_HELP);
    draw_box(y, x, h, w);
    tui_text(y + 1, x + 2, w - 4, "Retrain with these settings");
    for (int f = 0; f < FORM_FIELDS; f++) {
        crt_set(CE_HELP);
        tui_text(y + 3 + f, x + 2, 22, FORM_LABEL[f]);
        crt_set(f == app->form_field ? CE_CHOSEN : CE_NORMAL);
        tui_fill(y + 3 + f, x + 25, 16, " ");
        const char *shown = app->form_value[f]; /* a long value: its end, where typing goes */
        while (text_columns(shown, crt.utf8) > 14)
            do
                shown++;
            while (((unsigned char)*shown & 0xC0) == 0x80);
        tui_text(y + 3 + f, x + 26, 14, shown);
    }
    crt_set(CE_HELP);
    tui_text(y + h - 2, x + 2, w - 4,
             worker_running(&app->worker) ? "Up/Down field  Enter train  x cancel run  Esc close"
                                          : "Up/Down field  Enter train  Esc close");
    crt_set(CE_NORMAL);
}

/* ---- the tab bar and the status line ---- */

static void draw_tabs(TuiApp *app, Rect r)
{
    const char *names[PANE_COUNT];
    tab_names(names);
    int start[PANE_COUNT], width[PANE_COUNT];
    layout_tabs(names, PANE_COUNT, start, width);
    crt_set(CE_TAB);
    tui_fill(r.y, r.x, r.w, " ");
    for (int i = 0; i < PANE_COUNT; i++) {
        crt_set(i == app->pane ? CE_TAB_ACTIVE : CE_TAB);
        tui_textf(r.y, r.x + start[i], width[i], " %d %s ", i + 1, names[i]);
    }
    crt_set(CE_NORMAL);
}

static const char *panel_name(const Panel *panel, char *buf, size_t size)
{
    if (strcmp(panel->source, "built-in demo panel") == 0)
        return "demo";
    snprintf(buf, size, "%s", panel->source);
    size_t len = strlen(buf);
    while (len > 1 && buf[len - 1] == '/')
        buf[--len] = 0;
    const char *slash = strrchr(buf, '/');
    return slash ? slash + 1 : buf;
}

/* The pane's keys that work now: fewer before there are segments. */
static const char *pane_hints(const TuiApp *app)
{
    const Pane *pane = PANES[app->pane];
    if (pane->hints_running && app->train.state == WORKER_RUNNING)
        return pane->hints_running;
    return app->seg ? pane->hints : pane->hints_untrained;
}

static void training_summary(const TuiApp *app, char *buf, size_t size)
{
    const TrainStatus *t = &app->train;
    switch (t->state) {
    case WORKER_RUNNING: {
        double left = train_seconds_left(t, tui_now());
        char eta[32] = "";
        if (isfinite(left))
            snprintf(eta, sizeof eta, " ~%.0fs left", ceil(left));
        char progress[64];
        train_progress_text(t, progress, sizeof progress);
        snprintf(buf, size, "training %s%s", progress, eta);
        break;
    }
    case WORKER_DONE:
        snprintf(buf, size, "%s",
                 app->config->model_path && app->train.started == 0 ? "model loaded" : "trained");
        break;
    case WORKER_FAILED: snprintf(buf, size, "training failed"); break;
    case WORKER_CANCELLED: snprintf(buf, size, "training cancelled"); break;
    default: snprintf(buf, size, "not trained"); break;
    }
}

#define HELP_HINT "? help q quit "

/* A message wider than the status line r: its start on the line above, up
 * to the last space (or just past the last '/') that fits, and the rest on
 * r (its end when even that is too long), in the colour set. */
static void draw_long_message(Rect r, const char *message)
{
    char first[300];
    snprintf(first, sizeof first, "%s", message);
    size_t cut = 0; /* the first line's length: up to a space, or after a '/' */
    for (size_t i = 0; first[i]; i++) {
        if (first[i] != ' ' && first[i] != '/')
            continue;
        size_t end = first[i] == '/' ? i + 1 : i;
        char kept = first[end];
        first[end] = '\0';
        if (text_columns(first, crt.utf8) <= r.w - 1)
            cut = end;
        first[end] = kept;
    }
    if (cut == 0) { /* nowhere to break */
        tui_text_tail(r.y, r.x + 1, r.w - 1, message);
        return;
    }
    first[cut] = '\0';
    const char *rest = message + cut + (message[cut] == ' ');
    tui_fill(r.y - 1, r.x, r.w, " ");
    tui_text(r.y - 1, r.x + 1, r.w - 1, first);
    tui_fill(r.y, r.x, r.w, " ");
    tui_text_tail(r.y, r.x + 1, r.w - 1, rest);
}

static void draw_status(TuiApp *app, Rect r)
{
    char train[160], left[512], source[256], kept[256], name[272], users[32];
    training_summary(app, train, sizeof train);
    snprintf(kept, sizeof kept, "%s", panel_name(app->panel, source, sizeof source));
    snprintf(name, sizeof name, "%s", kept);
    snprintf(users, sizeof users, " %zu users", app->panel->n_users);
    /* so that "? help q quit" stays, the users' count gives way first, then
     * the end of the panel's name, a character at a time */
    int help_w = (int)strlen(HELP_HINT);
    size_t kept_len = strlen(kept);
    for (;;) {
        if (app->seg)
            snprintf(left, sizeof left, " %s%s  k=%d seg %d  %s ", name, users, app->k,
                     app->segment, train);
        else
            snprintf(left, sizeof left, " %s%s  %s ", name, users, train);
        if (text_columns(left, crt.utf8) + help_w <= r.w || kept_len <= 1)
            break;
        if (users[0]) {
            users[0] = '\0';
            continue;
        }
        kept_len = utf8_drop_last(kept, kept_len);
        snprintf(name, sizeof name, "%s%s", kept, crt.glyphs->ellipsis);
    }
    crt_set(CE_STATUS);
    tui_fill(r.y, r.x, r.w, " ");
    int used = tui_text(r.y, r.x, r.w, left);
    const char *right;
    char buf[300];
    bool recent = app->message[0] != 0;
    if (app->prompt) {
        const char *label = app->prompt_save_as ? "save as:" : "filter:";
        snprintf(buf, sizeof buf, "%s%s_", app->prompt_save_as ? "" : "/", app->prompt_text);
        /* a long pattern: the status gives way, then the pattern shows its end */
        int label_w = (int)strlen(label) + 1;
        int need = label_w + text_columns(buf, crt.utf8);
        if (used + need > r.w) {
            used = r.w - need > 0 ? r.w - need : 0;
            crt_set(CE_STATUS);
            tui_fill(r.y, r.x, r.w, " ");
            tui_text_cut(r.y, r.x, used, left);
        }
        crt_set(CE_CHOSEN);
        tui_fill(r.y, r.x + used, r.w - used, " ");
        tui_text(r.y, r.x + used, r.w - used, label);
        tui_text_tail(r.y, r.x + used + label_w, r.w - used - label_w, buf);
        crt_set(CE_NORMAL);
        return;
    }
    if (recent) {
        /* a message wider than what the status leaves: the status gives way
         * (cut, with a space before the message, or left out); a message
         * wider than the line takes the line above as well */
        int w = text_columns(app->message, crt.utf8);
        if (w + 1 > r.w - used) {
            int left_room = r.w - w - 1;
            tui_fill(r.y, r.x, r.w, " ");
            if (left_room >= 12) {
                tui_text_cut(r.y, r.x, left_room, left);
                crt_set(app->message_error ? CE_ERROR : CE_STATUS_KEY);
                tui_text(r.y, r.x + left_room + 1, w, app->message);
            } else {
                crt_set(app->message_error ? CE_ERROR : CE_STATUS_KEY);
                if (w + 1 <= r.w) /* the message alone */
                    tui_text(r.y, r.x + 1, r.w - 1, app->message);
                else
                    draw_long_message(r, app->message);
            }
            crt_set(CE_NORMAL);
            return;
        }
        crt_set(app->message_error ? CE_ERROR : CE_STATUS_KEY);
        right = app->message;
    } else {
        snprintf(buf, sizeof buf, "%s %s", pane_hints(app), HELP_HINT);
        crt_set(CE_STATUS_KEY);
        right = buf;
    }
    int w = text_columns(right, crt.utf8), room = r.w - used;
    /* the pane's hints give way to the panel, a whole hint at a time from the
     * last ("a all  [ ] segment" are two); "? help" stays (the help lists
     * every key), clipped only when even that does not fit */
    char hints[200];
    snprintf(hints, sizeof hints, "%s", pane_hints(app));
    while (w > room && !recent && hints[0]) {
        char *last = NULL;
        for (char *p = strstr(hints, "  "); p; p = strstr(p + 2, "  "))
            last = p;
        if (last)
            *last = 0;
        else
            hints[0] = 0;
        snprintf(buf, sizeof buf, "%s%s%s", hints, hints[0] ? " " : "", HELP_HINT);
        w = text_columns(right, crt.utf8);
    }
    if (w > room && !recent)
        w = room;
    if (w > r.w)
        w = r.w;
    tui_text(r.y, r.x + r.w - w, w, right);
    crt_set(CE_NORMAL);
}

/* The message of a terminal below the minimum size, centred and, when the
 * terminal is narrower than it, wrapped at its spaces; a question asked
 * (q's) in place of "(q quits)". */
static void draw_too_small(const TuiApp *app)
{
    char text[400];
    bool asked = app->asked != ASK_NONE;
    snprintf(text, sizeof text, "Terminal too small: %dx%d; filmseg needs %dx%d %s%s%s", COLS,
             LINES, TUI_MIN_COLS, TUI_MIN_ROWS, asked ? "(" : "(q quits)",
             asked ? app->message : "", asked ? ")" : "");
    enum { MAX_LINES = 8 };
    const char *start[MAX_LINES];
    int len[MAX_LINES], n = 0;
    for (const char *p = text; *p && n < MAX_LINES; n++) {
        int w = 0, fit = 0; /* fit: the words that fit in COLS, or one word cut */
        while (p[w] && (fit == 0 || w < COLS)) {
            while (p[w] && p[w] != ' ')
                w++;
            if (w <= COLS || fit == 0)
                fit = w;
            if (w >= COLS || !p[w])
                break;
            w++;
        }
        start[n] = p;
        len[n] = fit < COLS ? fit : COLS;
        p += fit;
        while (*p == ' ')
            p++;
    }
    crt_set(CE_NORMAL);
    int top = LINES > n ? (LINES - n) / 2 : 0;
    for (int i = 0; i < n && top + i < LINES; i++) {
        char line[400];
        snprintf(line, sizeof line, "%.*s", len[i], start[i]);
        tui_text(top + i, len[i] < COLS ? (COLS - len[i]) / 2 : 0, COLS, line);
    }
}

static void draw(TuiApp *app)
{
    erase();
    ScreenLayout l = layout_screen(LINES, COLS);
    if (l.too_small) {
        draw_too_small(app);
        refresh();
        return;
    }
    draw_tabs(app, l.tabs);
    PANES[app->pane]->draw(app, l.pane);
    draw_status(app, l.status);
    if (app->form)
        draw_form(app, l.pane);
    if (app->help)
        draw_help(l.pane, app->help);
    refresh();
}

/* ---- keys ---- */

/* A byte typed or pasted into the filter prompt (UTF-8 comes a byte at a
 * time): it replaces the pattern the prompt opened on, else is appended. */
static void prompt_type(TuiApp *app, unsigned char ch)
{
    if (app->prompt_fresh)
        app->prompt_len = 0; /* (nothing was cut yet: the prompt just opened) */
    app->prompt_fresh = false;
    /* a character whole or not at all: a UTF-8 lead byte needs room for
     * its continuation bytes, which follow it only when it was taken */
    size_t need = utf8_sequence_length(ch);
    need = need ? need : 1; /* a byte no character begins with: itself */
    bool continuation = ch >= 0x80 && ch < 0xc0;
    if (continuation ? app->prompt_dropping || app->prompt_len + 1 >= sizeof app->prompt_text
                     : app->prompt_len + need >= sizeof app->prompt_text) {
        app->prompt_dropping = app->prompt_cut = true;
    } else {
        app->prompt_dropping = false;
        app->prompt_text[app->prompt_len++] = (char)ch;
    }
    app->prompt_text[app->prompt_len] = 0;
}

/* S's Enter: s's save, to path from now on (the questions s asks then are
 * about that file: it exists, it holds another model); refused when it
 * names an input, as --out is. */
static void save_as(TuiApp *app, const char *path, bool cut)
{
    char why[4200];
    if (!*path)
        app_message(app, false, "not saved: no file name");
    else if (cut)
        app_message(app, true, "not saved: the file name did not fit (%zu bytes at most here)",
                    sizeof app->prompt_text - 1);
    else if (strcmp(path, "-") == 0)
        app_message(app, true, "not saved: - is no file (the model is binary)");
    else if (panel_output_replaces_input(path, app->config->data_dir, app->config->zips_path, why,
                                         sizeof why))
        app_message(app, true, "not saved: %s would replace %s", path, why);
    else {
        if (!atomic_file_same(path, app->save_path)) { /* another file: nothing known of it */
            snprintf(app->save_path, sizeof app->save_path, "%s", path);
            memset(&app->save_stamp, 0, sizeof app->save_stamp);
            memset(app->export_stamps, 0, sizeof app->export_stamps);
            app->saved_k = 0;
            app->saved_number = 0;
            app->opened_there = false;
        }
        app_save(app, false);
    }
}

static void prompt_key(TuiApp *app, int ch)
{
    if (ch == 27) {
        app->prompt = false;
        if (app->prompt_save_as)
            app_message(app, false, "not saved");
    } else if ((ch == '\n' || ch == '\r' || ch == KEY_ENTER) && app->prompt_save_as) {
        app->prompt = false;
        save_as(app, app->prompt_text, app->prompt_cut);
    } else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
        char error[300];
        app->prompt = false;
        if (title_filter_set(&app->filter, app->prompt_text, error, sizeof error)) {
            if (app->prompt_text[0] && app->prompt_cut)
                app_message(app, true,
                            "titles filtered by the pattern's first %zu bytes: the rest did "
                            "not fit",
                            app->prompt_len);
            else if (app->prompt_text[0])
                app_message(app, false, "titles filtered by /%s/", app->prompt_text);
            else
                app_message(app, false, "title filter cleared");
        } else {
            app_message(app, true, "%s; filter kept", error);
        }
    } else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
        app->prompt_len = utf8_drop_last(app->prompt_text, app->prompt_len);
    } else if (ch == 21) { /* Ctrl-U: all of it */
        app->prompt_len = 0;
        app->prompt_cut = false;
    } else if (ch == 23) { /* Ctrl-W: the last word, and the spaces after it */
        app->prompt_len = drop_last_word(app->prompt_text, app->prompt_len);
    } else if (ch >= 32 && ch < 256 && ch != 127) {
        prompt_type(app, (unsigned char)ch);
    }
    app->prompt_text[app->prompt_len] = 0;
    app->prompt_fresh = false;
}

/* S: the prompt for the file to save to, on the one s saves to. */
static void open_save_prompt(TuiApp *app)
{
    if (!app->seg) {
        app_save(app, false); /* says why there is nothing to save */
        return;
    }
    app->prompt = app->prompt_save_as = true;
    size_t len = strlen(app->save_path); /* a name too long to edit here: typed anew */
    app->prompt_len = len < sizeof app->prompt_text ? len : 0;
    memcpy(app->prompt_text, app->save_path, app->prompt_len);
    app->prompt_text[app->prompt_len] = '\0';
    app->prompt_fresh = false; /* a name to edit (its folder kept), not to type over */
    app->prompt_dropping = app->prompt_cut = false;
}

void app_open_prompt(TuiApp *app)
{
    app->prompt = true;
    app->prompt_save_as = false;
    snprintf(app->prompt_text, sizeof app->prompt_text, "%s", app->filter.pattern);
    app->prompt_len = strlen(app->prompt_text);
    app->prompt_fresh = app->prompt_len > 0;
    app->prompt_dropping = app->prompt_cut = false;
}

static void mouse_key(TuiApp *app)
{
    int y, x;
    crt_last_click(&y, &x);
    if (y != 0)
        return;
    const char *names[PANE_COUNT];
    tab_names(names);
    int tab = layout_tab_at(names, PANE_COUNT, x);
    if (tab >= 0)
        app->pane = tab;
}

/* Ctrl-C: read as a key (crt.c turns the terminal's interrupt character
 * off), and SIGINT sent otherwise (kill -INT) is handed to handle_key as
 * KEY_INTERRUPT. */
enum { KEY_CTRL_C = 3 };

/* A bracketed paste: in the filter prompt or a retrain-form field, its first
 * line (empty lines before it skipped) goes in as typed, its control
 * characters left out: a newline in it neither submits nor lets the rest
 * run as keys. Anywhere else it is ignored whole (pasted as keys, the s of
 * "star" saved over the model), and said. */
static void paste_key(TuiApp *app)
{
    size_t len, start = 0;
    const char *text = crt_paste(&len);
    while (start < len && (text[start] == '\r' || text[start] == '\n'))
        start++;
    size_t end = start;
    while (end < len && text[end] != '\r' && text[end] != '\n')
        end++;
    bool form_text = app->form && app->form_field != FORM_METHOD;
    if (!app->prompt && !form_text) {
        app_message(app, true, "paste ignored: %s",
                    app->form ? "Space switches the method" : "press / to filter titles");
        return;
    }
    bool replace = app->form_fresh; /* a form field just entered: the paste replaces it */
    for (size_t i = start; i < end; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c == 0x7f)
            continue;
        if (app->prompt) {
            prompt_type(app, c);
        } else {
            form_type(app, c, replace);
            replace = false;
        }
    }
    if (!app->prompt) { /* as typing does: the field edited, a second Enter not pending */
        app->form_fresh = replace;
        app->form_confirm = false;
    }
}

/* + and -: k one up or down from any pane (the Elbow pane's Left/Right
 * there), said at the sweep's ends rather than doing nothing. */
static void change_k(TuiApp *app, int step)
{
    if (!app->seg) {
        app_message(app, true, "k changes once there are segments (%s)",
                    worker_running(&app->worker) ? "when the training finishes" : "t trains");
        return;
    }
    int k = app->k + step;
    if (k < 2 || k > app->seg->sweep.kmax) {
        app_message(app, true, "k=%d is the sweep's %s (k = 2..%d)", app->k,
                    step > 0 ? "largest" : "smallest", app->seg->sweep.kmax);
        return;
    }
    app_set_k(app, k);
}

/* q or Ctrl-C (key names which): quits, or first asks when a trained model
 * is not saved or training runs (confirmed: this is the second press). */
static void quit_or_ask(TuiApp *app, bool confirmed, const char *key)
{
    if (confirmed || !(app->unsaved || worker_running(&app->worker))) {
        app->quit = true;
        return;
    }
    app_message(app, true, "%s: %s again quits%s",
                app->save_when_trained         ? "the classifier to save with is training"
                : worker_running(&app->worker) ? "training is running"
                                               : "the trained model is not saved",
                key,
                worker_running(&app->worker) ? ""
                : app->form                  ? ", Esc then s saves it" /* s is typed there */
                                             : ", s saves it");
    app->asked = ASK_QUIT;
}

static void handle_key(TuiApp *app, int ch)
{
    if (ch == KEY_RESIZE) /* not the user's answer to anything: the loop redraws */
        return;
    bool interrupt = ch == KEY_INTERRUPT || ch == KEY_CTRL_C;
    bool quit_key = ch == 'q' || ch == 'Q' || ch == KEY_F(10) || interrupt;
    if (layout_screen(LINES, COLS).too_small) { /* nothing on screen but q, and a question */
        if (!quit_key && !(app->asked != ASK_NONE && ch == (int)app->asked))
            return; /* a question shown stays asked */
        app->help = 0;
        app->prompt = app->form = false;
    }
    /* a question lasts one key; any other key answers no, and it goes */
    int asked = app->asked;
    app->asked = ASK_NONE;
    if (asked != ASK_NONE && !(asked == ASK_QUIT ? quit_key : ch == asked))
        app->message[0] = '\0';
    if (interrupt) { /* from anywhere: the help, a prompt or the form */
        app->help = 0;
        app->prompt = app->form = false;
        quit_or_ask(app, asked == ASK_QUIT, "Ctrl-C");
        if (app->quit)
            app->quit_status = 128 + SIGINT;
        return;
    }
    if (ch == KEY_PASTE) { /* before the help: a paste is not a key that closes it */
        paste_key(app);
        return;
    }
    if (app->help) { /* ? turns to the words, any other key closes the help */
        app->help = app->help == 1 && (ch == '?' || ch == KEY_F(1)) ? 2 : 0;
        return;
    }
    if (app->prompt) {
        prompt_key(app, ch);
        return;
    }
    if (app->form && quit_key) { /* the form takes no letters: q quits from it too, */
        quit_or_ask(app, asked == ASK_QUIT, "q"); /* its question answered in the form */
        return;
    }
    if (app->form) {
        form_key(app, ch);
        return;
    }
    if (ch == KEY_MOUSE) {
        mouse_key(app);
        return;
    }
    if (PANES[app->pane]->key && PANES[app->pane]->key(app, ch))
        return;
    switch (ch) {
    case 'q':
    case 'Q':
    case KEY_F(10): quit_or_ask(app, asked == ASK_QUIT, "q"); break;
    case '?':
    case KEY_F(1): app->help = 1; break;
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6': app->pane = ch - '1'; break;
    case '\t': app->pane = (app->pane + 1) % PANE_COUNT; break;
    case KEY_BTAB: app->pane = (app->pane + PANE_COUNT - 1) % PANE_COUNT; break;
    case '+':
    case '-': change_k(app, ch == '+' ? +1 : -1); break;
    case '[':
    case KEY_PPAGE: app_move_segment(app, -1); break;
    case ']':
    case KEY_NPAGE: app_move_segment(app, +1); break;
    case 'x':
        if (worker_running(&app->worker)) {
            app_cancel_training(app, false);
        } else {
            app_message(app, true, "no training is running");
        }
        break;
    case 's': app_save(app, asked == ASK_SAVE); break;
    case 'S': open_save_prompt(app); break;
    case 'e': app_export(app, asked == ASK_EXPORT); break;
    case 't': form_open(app); break;
    case 12: clearok(curscr, TRUE); break; /* Ctrl-L */
    default: break;
    }
}

/* ---- the timing hook ---- */

typedef struct {
    FILE *out;
    double key_max, key_sum, key_max_training, k_change_max;
    long keys;
} Timing;

static void timing_key(Timing *t, int ch, double ms, bool training, bool k_changed)
{
    if (!t->out)
        return;
    t->keys++;
    t->key_sum += ms;
    if (ms > t->key_max)
        t->key_max = ms;
    if (training && ms > t->key_max_training)
        t->key_max_training = ms;
    if (k_changed && ms > t->k_change_max)
        t->k_change_max = ms;
    fprintf(t->out, "key %d %.3f%s%s\n", ch, ms, training ? " training" : "",
            k_changed ? " k" : "");
    fflush(t->out);
}

static void timing_done(Timing *t)
{
    if (!t->out)
        return;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    fprintf(t->out, "keys %ld\nkey_mean_ms %.3f\nkey_max_ms %.3f\n", t->keys,
            t->keys ? t->key_sum / t->keys : 0.0, t->key_max);
    fprintf(t->out, "key_max_while_training_ms %.3f\nk_change_max_ms %.3f\npeak_rss_kib %ld\n",
            t->key_max_training, t->k_change_max, ru.ru_maxrss);
    fclose(t->out);
    t->out = NULL;
}

/* ---- the loop ---- */

/* Picks up the worker's news (app->train.version changes with it), and a
 * finished job's result. */
static void poll_worker(TuiApp *app)
{
    WorkerState state = app->train.state;
    if (state != WORKER_RUNNING && !worker_running(&app->worker))
        return;
    worker_snapshot(&app->worker, &app->train);
    if (app->train.state != WORKER_RUNNING && state == WORKER_RUNNING) {
        Segmentation *seg = worker_take_result(&app->worker);
        ClassifierResult classifier;
        bool save = app->save_when_trained;
        app->save_when_trained = false;
        if (seg) {
            app_set_segmentation(app, seg, 0);
            app->form_run_pending = false; /* its settings are the model's now */
            app->unsaved = app->trained_here = true;
            if (app->train.stability_refits < app->train.options.stability)
                app_message(app, false,
                            "training finished: %d segments, the stability stopped at %d of %d "
                            "refits",
                            app->k, app->train.stability_refits, app->train.options.stability);
            else
                app_message(app, false, "training finished: %d segments", app->k);
        } else if (worker_take_classifier(&app->worker, &classifier)) {
            app_install_classifier(app, &classifier, save);
        } else if (app->train.state == WORKER_CANCELLED) {
            app_message(app, false, "%s",
                        save       ? "nothing saved"
                        : app->seg ? "the segments shown are still the earlier model's"
                                   : "t trains again");
        } else {
            app_message(app, true, "training failed: %s%s", app->train.error,
                        save ? " (nothing saved)" : "");
        }
    }
}

int tui_run(TuiConfig *config)
{
    TuiApp *app = calloc(1, sizeof *app);
    if (!app)
        return 1;
    app->config = config;
    app->panel = config->panel;
    app->heat_seed = HEATMAP_SEED;
    app->train.stage = -1;
    /* the model opened is the file s may replace without asking, as it was read
     * (but for a model trained here: app_save) */
    snprintf(app->save_path, sizeof app->save_path, "%s", config->save_path);
    if (config->model_path && atomic_file_same(config->model_path, config->save_path)) {
        app->save_stamp = config->model_stamp;
        app->saved_k = config->seg ? config->seg->k : 0;
        app->saved_number = 1; /* the first model shown (app_set_segmentation, below) */
        app->opened_there = true;
    }
    title_filter_init(&app->filter);
    worker_init(&app->worker);
    profile_compute(app->panel, NULL, 0, &app->whole);
    Timing timing = {0};
    if (config->timing_path)
        timing.out = fopen(config->timing_path, "w");

    int status = 0;
    char why[200];
    if (!crt_init(why, sizeof why)) {
        fprintf(stderr, "filmseg explore: %s; `filmseg report` prints the report as text\n", why);
        status = 1;
        goto out;
    }
    timeout(50);
    if (config->seg) {
        train_status_from_seg(&app->train, config->seg);
        app_set_segmentation(app, config->seg, config->view_k);
        config->seg = NULL;
    } else {
        app_refresh_heat(app);
        if (config->train_at_start)
            app_train(app, &config->training);
    }
    int notes_said = 0; /* the start-up notes, each in its turn (in the loop) */
    draw(app);
    if (timing.out) {
        fprintf(timing.out, "first_frame_ms %.3f\n", (tui_now() - config->started) * 1000);
        fflush(timing.out);
    }
    double last_train_draw = 0, last_turn = monotonic_seconds();
    unsigned drawn_version = app->train.version; /* the training news on screen */
    int drawn_stage = app->train.stage;
    while (!app->quit) {
        int ch = crt_read_key(50);
        double turn = monotonic_seconds();
        if (crt_resumed) { /* back from Ctrl-Z: the time since the last turn, stopped */
            crt_resumed = 0;
            double stopped = turn - last_turn - 0.05; /* getch's wait aside */
            if (stopped > 0)
                atomic_fetch_add(&stopped_ns, (long long)(stopped * 1e9));
        }
        last_turn = turn;
        if (crt_signal == SIGINT) { /* Ctrl-C: a key, asking first as q does */
            crt_signal = 0;
            if (ch != ERR)
                ungetch(ch); /* read with it: answered after it */
            ch = KEY_INTERRUPT;
        } else if (crt_signal) {
            break;
        }
        double t0 = tui_now();
        bool redraw = false, k_changed = false;
        if (ch != ERR) {
            int k = app->k;
            /* each key sees a run that has just ended as ended: an Enter in
             * the form then asks before training over its result */
            poll_worker(app);
            handle_key(app, ch);
            /* keys typed ahead (a slow link, a key held down) are answered
             * before the next frame, not each with a frame of its own */
            for (int more = 0, next; more < 256 && !app->quit && (next = crt_read_key(0)) != ERR;
                 more++) {
                poll_worker(app);
                handle_key(app, next);
            }
            k_changed = app->k != k;
            redraw = true;
        }
        poll_worker(app);
        /* progress redraws at most 4 times a second (a 9600-baud link keeps
         * up with the training pane), the last news always (a refit can take
         * seconds); a new stage and the results at once */
        if (app->train.version != drawn_version &&
            (t0 - last_train_draw > 0.25 || app->train.state != WORKER_RUNNING ||
             app->train.stage != drawn_stage))
            redraw = true;
        if (app->message[0] && t0 - app->message_at > app->message_seconds) {
            app->message[0] = 0;
            app->asked = ASK_NONE; /* and its question */
            redraw = true;
        }
        if (!app->message[0] && notes_said < config->n_notes) {
            app_message(app, true, "%s", config->notes[notes_said++]);
            redraw = true;
        }
        if (redraw && !app->quit) {
            draw(app);
            last_train_draw = t0;
            drawn_version = app->train.version;
            drawn_stage = app->train.stage;
        }
        if (ch != ERR && ch != KEY_RESIZE)
            timing_key(&timing, ch, (tui_now() - t0) * 1000, app->train.state == WORKER_RUNNING,
                       k_changed);
    }
    crt_done();
    if (crt_signal)
        status = 128 + crt_signal;
    else if (app->quit_status)
        status = app->quit_status;
out:
    timing_done(&timing);
    worker_free(&app->worker);
    train_status_free(&app->train);
    title_filter_free(&app->filter);
    if (app->profiles)
        for (int s = 0; s < app->k; s++)
            profile_free(&app->profiles[s]);
    free(app->profiles);
    profile_free(&app->whole);
    free(app->labels);
    if (app->seg) {
        segmentation_free(app->seg);
        free(app->seg);
    }
    if (config->seg) {
        segmentation_free(config->seg);
        free(config->seg);
        config->seg = NULL;
    }
    panel_free(config->panel);
    config->panel = NULL;
    free(app);
    return status;
}
