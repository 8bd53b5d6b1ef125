/* app.h (private to src/tui): the explorer's state that panes share (the
 * panel, the segmentation and the chosen k and segment, profiles, the title
 * filter, the heatmap's films, the training worker) and the pane interface.
 * A pane knows how to draw itself and handle a key; the manager (manager.c)
 * knows nothing about what a pane shows. */
#ifndef FILMSEG_TUI_APP_H
#define FILMSEG_TUI_APP_H

#include "crt.h"
#include "filter.h"
#include "layout.h"
#include "worker.h"

#include "filmseg/association.h"
#include "filmseg/atomic_file.h"
#include "filmseg/export.h"
#include "filmseg/heatmap.h"
#include "filmseg/profile.h"
#include "filmseg/tui.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum { HEAT_SAMPLE, HEAT_DISTINCTIVE } HeatMode;
/* The segments pane: who the segment is, its taste, or every segment's genres. */
typedef enum { SEGMENTS_PEOPLE, SEGMENTS_TASTE, SEGMENTS_GENRES, SEGMENTS_VIEWS } SegmentsView;

/* The retrain form's fields. */
enum {
    FORM_METHOD, /* "filmseg" or "study" (Space switches) */
    FORM_K,
    FORM_KMAX,
    FORM_EPOCHS,
    FORM_HIDDEN,
    FORM_WEIGHT,
    FORM_GENRES,
    FORM_RECENCY,
    FORM_SEED,
    FORM_STABILITY,
    FORM_FIELDS
};

typedef struct TuiApp {
    TuiConfig *config;
    Panel *panel;
    Segmentation *seg; /* NULL until trained or loaded */
    int32_t *labels;   /* panel user -> segment at k (-1: not in the model); NULL without seg */
    int k;             /* the chosen k */
    int segment;       /* the segment shown, 0..k-1 */
    Profile whole;     /* everyone */
    Profile *profiles; /* (k) the segments at k */
    size_t matched;    /* panel users found in the model */
    double follows[DEMOGRAPHIC_COUNT]; /* the segments' AMI with each demographic */
    double follows_activity;           /* and with how much users rate (NAN: too few) */

    int pane; /* the pane shown */
    int help; /* the help overlay: 0 closed, 1 the keys, 2 the words on screen */
    bool quit;
    int quit_status; /* the exit status to quit with (130: Ctrl-C) */

    /* segments pane */
    SegmentsView segments_view; /* what the segments pane shows (g cycles) */

    /* films pane */
    bool films_whole; /* the whole sample rather than the segment */
    int films_first;  /* the first score column shown (0: 5 stars) when not all fit;
                         drawing keeps it where the columns that fit allow */
    TitleFilter filter;
    bool prompt;          /* the prompt is open: the filter's, or save-as's */
    bool prompt_save_as;  /* it asks for the file S saves to */
    bool prompt_fresh;    /* it shows the pattern in use, untouched: a character
                             typed replaces it (Backspace edits it) */
    bool prompt_dropping; /* the last character did not fit: its bytes are dropped */
    bool prompt_cut;      /* some did not */
    char prompt_text[256];
    size_t prompt_len;

    /* heatmap pane */
    HeatMode heat_mode;
    uint64_t heat_seed;
    uint32_t heat_films[HEATMAP_FILMS];
    size_t n_heat_films;
    int heat_scroll;
    /* the segment's distinctive films (heatmap.h), for the heatmap's `d` and
     * the taste view; found again when the segment or k changes */
    uint32_t distinctive[HEATMAP_FILMS];
    size_t n_distinctive;

    /* training */
    Worker worker;
    TrainStatus train; /* the UI's copy */
    bool form;         /* the retrain form is open */
    int form_field;
    bool form_fresh;   /* the field was just entered: typing replaces its value */
    bool form_confirm; /* Enter was asked again: the trained model on screen is not saved */
    char form_value[FORM_FIELDS][24];
    /* every setting of the run the form starts: those it shows are taken
     * from its fields, the others (the norm, the likes head...) are these,
     * the opened model's or run's, or the method's preset once switched */
    PipelineOptions form_base;
    PipelineOptions form_opened; /* those it opened on: Space back to their
                                    method brings them back */
    /* the settings of the form's last run while they are not the model's
     * (it runs, or was stopped or failed): the form opens on them again */
    PipelineOptions form_run;
    bool form_run_pending;

    /* The question on screen, answered by the next key (the same key again
     * says yes, any other no) and forgotten with its message: s before
     * replacing a file at the save path other than the one this explorer
     * opened or last wrote there, as it was then (save_stamp); e likewise
     * for the CSV files in the export folder (export_stamps); q with a model
     * trained here and not saved (unsaved), or while training runs; and s
     * before replacing another model of this session's with the one shown:
     * the model opened (opened_there), or one saved before a retrain. */
    enum { ASK_NONE, ASK_SAVE = 's', ASK_EXPORT = 'e', ASK_QUIT = 'q' } asked;
    char save_path[4096]; /* where s saves: --out's, --model's or model.fsm, until S */
    FileStamp save_stamp;
    int saved_k;           /* the k of the model in that file (its classifier's) */
    bool opened_there;     /* save_stamp is the model file opened, not one written here */
    unsigned model_number; /* the models shown so far: the one shown is the nth */
    unsigned saved_number; /* the model_number of the model in that file (0: none) */
    bool trained_here;     /* the model shown was trained in this session */
    FileStamp export_stamps[EXPORT_COUNT];
    bool unsaved;
    bool save_when_trained; /* s at another k than the classifier's: a
                               classifier job runs, then the model is saved */

    char message[256]; /* the status line's message */
    bool message_error;
    double message_at;
    double message_seconds; /* how long it stays: 6 s, 3 for "training started" */
} TuiApp;

typedef struct {
    const char *name; /* the tab's label */
    void (*draw)(TuiApp *app, Rect r);
    bool (*key)(TuiApp *app, int ch); /* true when handled; may be NULL */
    const char *hints;                /* the status line's keys for this pane */
    const char *hints_untrained;      /* those that work before there are segments */
    const char *hints_running;        /* those while training runs (NULL: as the others) */
} Pane;

enum {
    PANE_AUDIENCE,
    PANE_ELBOW,
    PANE_SEGMENTS,
    PANE_FILMS,
    PANE_HEATMAP,
    PANE_TRAINING,
    PANE_COUNT
};

extern const Pane PANE_AUDIENCE_DEF, PANE_ELBOW_DEF, PANE_SEGMENTS_DEF, PANE_FILMS_DEF,
    PANE_HEATMAP_DEF, PANE_TRAINING_DEF;

/* ---- app.c: state changes every pane sees ---- */

/* Takes a segmentation (owned from now on; the old one is freed), maps its
 * users to the panel's by id, and shows it at k (0: its own k): segment 0,
 * or after another segmentation the segment holding most of the users of
 * the one shown. */
void app_set_segmentation(TuiApp *app, Segmentation *seg, int k);
/* Chooses k (clamped to 2..kmax) and recomputes the segment profiles; the
 * segment shown becomes the one at k holding most of its users. When memory
 * runs out it says so and keeps the k shown, or, for a new segmentation,
 * leaves profiles NULL (the panes that need them show the whole sample or
 * wait). */
void app_set_k(TuiApp *app, int k);
/* Moves the segment shown by delta (wrapping). */
void app_move_segment(TuiApp *app, int delta);
/* Finds the segment's distinctive films and the heatmap's films for the
 * mode, segment and seed again. */
void app_refresh_heat(TuiApp *app);
void app_message(TuiApp *app, bool error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Starts training with the given options; false (said) when it cannot. */
bool app_train(TuiApp *app, const PipelineOptions *options);
/* x while training runs: cancels the run, or in its stability stage stops
 * the refits and keeps the rest; the message says which (and, from the
 * retrain form, what Enter does then). */
void app_cancel_training(TuiApp *app, bool in_form);
/* Saves the model atomically to the save path; asks first (a second call
 * confirms, confirmed true) when that would replace a file this explorer
 * neither opened nor wrote. */
void app_save(TuiApp *app, bool confirmed);
/* A classifier job's network (moved in) becomes the segmentation's, at its
 * k; then the model is saved when then_save (s started the job). */
void app_install_classifier(TuiApp *app, ClassifierResult *result, bool then_save);
/* Writes every export table at the chosen k as CSV into the folder beside the
 * save path (model.fsm -> model-csv/), made when missing; asks first (a
 * second call confirms) when that would replace CSV files this explorer did
 * not write. */
void app_export(TuiApp *app, bool confirmed);
/* Opens the title filter prompt (manager.c). */
void app_open_prompt(TuiApp *app);

/* Shared drawing helpers of the panes. */
void pane_title(Rect r, const char *title);
/* "Segments appear when training finishes" and the like, centred. */
void pane_waiting(TuiApp *app, Rect r, const char *what);
/* Per-state count of a profile (states[] is sparse). */
void profile_state_counts(const Profile *p, double *counts);
/* The demographics of a profile (occupations, age, states, gender, ratings):
 * as counts and shares when base is NULL, else each against base as an
 * index (pane_audience.c; the segments pane uses it too). */
void demographics_draw(Rect r, const Panel *panel, const Profile *p, const Profile *base);
/* The segment's taste: genres liked and distinctive films (taste.c). */
void taste_draw(Rect r, const TuiApp *app);
/* Every segment's genres side by side, as indexes against everyone (taste.c). */
void taste_all_draw(Rect r, const TuiApp *app);
/* The colour of an index against everyone: high from 120, low to 80. */
ColorElement index_color(double index);

#endif
