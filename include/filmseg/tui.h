/* tui.h: the terminal explorer (`filmseg explore`): one ncurses screen with a
 * tab bar, six panes (audience, elbow, segments, films, heatmap, training) and
 * a status line, on a loaded panel and, when there is one, a segmentation.
 * Training runs in one background thread; the UI thread owns the terminal. */
#ifndef FILMSEG_TUI_H
#define FILMSEG_TUI_H

#include "filmseg/atomic_file.h"
#include "filmseg/panel.h"
#include "filmseg/pipeline.h"

#include <stdbool.h>

enum { TUI_MAX_NOTES = 3 };

typedef struct {
    Panel *panel;             /* owned by the explorer from tui_run on */
    Segmentation *seg;        /* a loaded model (owned from tui_run on), or NULL */
    const char *model_path;   /* where --model came from, or NULL */
    FileStamp model_stamp;    /* the model file as it was read (stamped just before) */
    const char *save_path;    /* where `s` saves the model (S: another file) */
    const char *data_dir;     /* the panel's folder (--data), or NULL */
    const char *zips_path;    /* the ZIP list (--zips), or NULL: S saves over neither */
    PipelineOptions training; /* what a new training run uses */
    bool train_at_start;      /* start training at once when seg is NULL */
    int view_k;               /* the k a loaded model opens at (0: its own) */
    double started;           /* monotonic seconds when the command started */
    const char *timing_path;  /* FILMSEG_TUI_TIMING: timings are written here */
    /* said on the status line as the explorer opens, one after another */
    char notes[TUI_MAX_NOTES][512];
    int n_notes;
} TuiConfig;

/* True when stdin and stdout are both terminals. */
bool tui_available(void);
/* Runs the explorer until the user quits; the terminal is restored on every
 * way out (q, Ctrl-C, SIGTERM, SIGHUP). Frees config->panel and config->seg.
 * Returns 0, or 1 when the terminal could not be set up, or 128 + signal. */
int tui_run(TuiConfig *config);
/* Monotonic seconds (clock.h) less the time the process spent stopped
 * (Ctrl-Z until fg): the explorer's elapsed times and estimates, and
 * TuiConfig.started. */
double tui_now(void);

#endif
