/* commands.h (private to src/cli): one function per command, and the panel
 * options every command that reads a panel shares. */
#ifndef FILMSEG_COMMANDS_H
#define FILMSEG_COMMANDS_H

#include "filmseg/export.h"
#include "filmseg/panel.h"
#include "filmseg/pipeline.h"
#include "filmseg/table.h"

#include <getopt.h>
#include <stdbool.h>

/* Exit statuses: 0 fine, 1 usage error, 2 input error (missing, unreadable,
 * empty or --strict-malformed files). */
enum { EXIT_USAGE = 1, EXIT_INPUT = 2 };

typedef struct {
    const char *data_dir; /* NULL: the built-in demo panel */
    PanelOptions options;
} PanelArgs;

/* getopt_long entries for --data, --zips, --exclude-states,
 * --keep-unknown-state, --strict (ids 1000..1004). */
#define PANEL_LONG_OPTIONS                                                                         \
    {"data", required_argument, 0, 1000}, {"zips", required_argument, 0, 1001},                    \
        {"exclude-states", required_argument, 0, 1002},                                            \
        {"keep-unknown-state", no_argument, 0, 1003},                                              \
    {                                                                                              \
        "strict", no_argument, 0, 1004                                                             \
    }

void panel_args_init(PanelArgs *args);
/* Handles one getopt result; returns 1 when it was a panel option, 0 when
 * not, -1 on a bad value (message printed). */
int panel_args_option(PanelArgs *args, int opt, const char *value);
/* Loads the panel, printing diagnostics; NULL on failure (exit 2). The
 * count of malformed lines skipped goes to lines_skipped unless NULL. */
Panel *panel_args_load(const PanelArgs *args, size_t *lines_skipped);

/* The training options that train and explore share: --k, --kmax, --epochs,
 * --hidden, --demo-weight, --seed, --stability, --genre-weight (ids
 * 1100..1107). Values are kept until training_args_apply puts them over a
 * preset. */
#define TRAINING_LONG_OPTIONS                                                                      \
    {"k", required_argument, 0, 1100}, {"kmax", required_argument, 0, 1101},                       \
        {"epochs", required_argument, 0, 1102}, {"hidden", required_argument, 0, 1103},            \
        {"demo-weight", required_argument, 0, 1104}, {"seed", required_argument, 0, 1105},         \
        {"stability", required_argument, 0, 1106},                                                 \
    {                                                                                              \
        "genre-weight", required_argument, 0, 1107                                                 \
    }

/* the settings with an option, TrainingSetting's first (option id 1100 + setting) */
enum { TRAINING_OPTION_COUNT = TRAINING_RECENCY };

typedef struct {
    double value[TRAINING_OPTION_COUNT];
    bool given[TRAINING_OPTION_COUNT];
} TrainingArgs;

/* Handles one getopt result: 1 when it was a training option, 0 when not,
 * -1 on a bad value (message printed). */
int training_args_option(TrainingArgs *args, const char *command, int opt, const char *value);
/* The name of the first option given ("epochs"), NULL when none was. */
const char *training_args_first_given(const TrainingArgs *args);
/* Puts the given options over opts; false (message printed) when k > kmax. */
bool training_args_apply(const TrainingArgs *args, const char *command, PipelineOptions *opts);

/* Whether every --option in argv is one of options, spelled out whole:
 * getopt_long also takes a prefix ("--k" for --keep-unknown-state where
 * --k is not an option), which turns a mistyped option into another one.
 * False after printing "filmseg COMMAND: unknown option '--x'". */
bool cli_exact_options(const char *command, int argc, char **argv, const struct option *options);

/* Parses --name's value as a number in [lo, hi] (a whole one when whole);
 * false after printing "filmseg COMMAND: --name must be ..." */
bool cli_number(const char *command, const char *name, const char *value, double lo, double hi,
                bool whole, double *out);

/* Parses --format's value (text or markdown); false after printing
 * "filmseg COMMAND: --format must be text or markdown". */
bool cli_format(const char *command, const char *value, OutputFormat *out);

/* Whether the command may write its output path (given to --option): a
 * name, and not a file it reads or writes otherwise: the panel's files, the
 * ZIP list, or others (pairs of an option's name and its path, the path
 * NULL when not given; NULL-terminated). False after printing why. */
bool cli_output_free(const char *command, const char *option, const char *path,
                     const PanelArgs *args, const char *const *others);

/* When the panel's states come from another source than the model's training
 * panel's (segmentation_zips_differ), says so on stderr as "filmseg COMMAND:
 * ..." and returns true. */
bool cli_warn_zips_differ(const char *command, const char *model_path, const Segmentation *seg,
                          const Panel *panel);

int cmd_report(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_explore(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_export(int argc, char **argv);

/* Writes an export table to path ("-" or NULL: stdout) through a temporary
 * file renamed into place; prints what went wrong and returns -1 on failure. */
int write_export(const char *command, const char *path, ExportTable table, const Segmentation *seg,
                 int k, const Panel *panel, const int32_t *labels);

#endif
