/* panel_args.c: the options several commands share (panel, training, numbers);
 * see commands.h. */
#include "commands.h"

#include "filmseg/atomic_file.h"
#include "filmseg/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void panel_args_init(PanelArgs *args)
{
    args->data_dir = NULL;
    panel_options_default(&args->options);
}

int panel_args_option(PanelArgs *args, int opt, const char *value)
{
    char bad[64];
    switch (opt) {
    case 1000: args->data_dir = value; return 1;
    case 1001: args->options.zips_path = value; return 1;
    case 1002:
        if (!sample_rules_parse_states(&args->options.rules, value, bad, sizeof bad)) {
            fprintf(stderr, "filmseg: --exclude-states: '%s' is not a US state or code\n", bad);
            return -1;
        }
        return 1;
    case 1003: args->options.rules.keep_unknown_state = true; return 1;
    case 1004: args->options.strict = true; return 1;
    }
    return 0;
}

Panel *panel_args_load(const PanelArgs *args, size_t *lines_skipped)
{
    Diag diag;
    diag_init(&diag, stderr, args->options.strict);
    Panel *panel = NULL;
    int rc = args->data_dir ? panel_load_dir(args->data_dir, &args->options, &diag, &panel)
                            : panel_load_demo(&args->options, &diag, &panel);
    diag_print_summary(&diag);
    if (lines_skipped)
        *lines_skipped = diag_total_skipped(&diag);
    if (rc != 0) {
        panel_free(panel);
        return NULL;
    }
    return panel;
}

bool cli_number(const char *command, const char *name, const char *value, double lo, double hi,
                bool whole, double *out)
{
    /* decimal only: strtod alone would take 0x10, 1e1, inf and nan */
    double v;
    if (!text_parse_double((Field){value, strlen(value)}, &v) || !(v >= lo && v <= hi) ||
        (whole && v != (long)v)) {
        fprintf(stderr, "filmseg %s: --%s must be a %s %.10g..%.10g\n", command, name,
                whole ? "whole number" : "number", lo, hi);
        return false;
    }
    *out = v;
    return true;
}

bool cli_format(const char *command, const char *value, OutputFormat *out)
{
    if (strcmp(value, "text") == 0)
        *out = FORMAT_TEXT;
    else if (strcmp(value, "markdown") == 0)
        *out = FORMAT_MARKDOWN;
    else {
        fprintf(stderr, "filmseg %s: --format must be text or markdown\n", command);
        return false;
    }
    return true;
}

int training_args_option(TrainingArgs *args, const char *command, int opt, const char *value)
{
    int i = opt - 1100;
    if (i < 0 || i >= TRAINING_OPTION_COUNT)
        return 0;
    const TrainingLimit *limit = &TRAINING_LIMITS[i];
    if (!cli_number(command, limit->name, value, limit->lo, limit->hi, limit->whole,
                    &args->value[i]))
        return -1;
    args->given[i] = true;
    return 1;
}

const char *training_args_first_given(const TrainingArgs *args)
{
    for (int i = 0; i < TRAINING_OPTION_COUNT; i++)
        if (args->given[i])
            return TRAINING_LIMITS[i].name;
    return NULL;
}

bool training_args_apply(const TrainingArgs *args, const char *command, PipelineOptions *opts)
{
    const double *v = args->value;
    const bool *given = args->given;
    if (given[TRAINING_K])
        opts->k = (int)v[TRAINING_K];
    if (given[TRAINING_KMAX])
        opts->kmax = (int)v[TRAINING_KMAX];
    if (given[TRAINING_EPOCHS])
        opts->ae.epochs = (int)v[TRAINING_EPOCHS];
    if (given[TRAINING_HIDDEN])
        opts->ae.hidden = (int)v[TRAINING_HIDDEN];
    if (given[TRAINING_DEMO_WEIGHT])
        opts->features.demo_weight = v[TRAINING_DEMO_WEIGHT];
    if (given[TRAINING_SEED])
        pipeline_options_seed(opts, (uint64_t)v[TRAINING_SEED]);
    if (given[TRAINING_STABILITY])
        opts->stability = (int)v[TRAINING_STABILITY];
    if (given[TRAINING_GENRE_WEIGHT])
        opts->features.genre_weight = v[TRAINING_GENRE_WEIGHT];
    if (opts->k > opts->kmax) {
        fprintf(stderr, "filmseg %s: --k %d is above --kmax %d\n", command, opts->k, opts->kmax);
        return false;
    }
    return true;
}

bool cli_output_free(const char *command, const char *option, const char *path,
                     const PanelArgs *args, const char *const *others)
{
    if (!*path) {
        fprintf(stderr, "filmseg %s: --%s needs a file name\n", command, option);
        return false;
    }
    char why[4200];
    if (panel_output_replaces_input(path, args->data_dir, args->options.zips_path, why,
                                    sizeof why)) {
        fprintf(stderr, "filmseg %s: --%s %s would replace %s\n", command, option, path, why);
        return false;
    }
    for (size_t i = 0; others && others[i]; i += 2)
        if (others[i + 1] && atomic_file_same(path, others[i + 1])) {
            fprintf(stderr, "filmseg %s: --%s and --%s name the same file (%s)\n", command, option,
                    others[i], path);
            return false;
        }
    return true;
}

bool cli_exact_options(const char *command, int argc, char **argv, const struct option *options)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0)
            break;
        if (strncmp(arg, "--", 2) != 0)
            continue;
        const char *name = arg + 2;
        size_t len = strcspn(name, "=");
        const struct option *found = NULL;
        for (const struct option *o = options; o->name && !found; o++)
            if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
                found = o;
        if (!found) {
            fprintf(stderr, "filmseg %s: unknown option '--%.*s'\n", command, (int)len, name);
            return false;
        }
        if (found->has_arg == required_argument && !name[len])
            i++; /* its value, whatever it looks like */
    }
    return true;
}

bool cli_warn_zips_differ(const char *command, const char *model_path, const Segmentation *seg,
                          const Panel *panel)
{
    char trained[300], now[300];
    if (!segmentation_zips_differ(seg, panel, trained, now, sizeof trained))
        return false;
    fprintf(stderr,
            "filmseg %s: %s was trained with states from %s, this panel gets them from %s: "
            "users may be in other states, and the sample rules keep other users than the "
            "training's (%s)\n",
            command, model_path, trained, now, segmentation_zips_advice(seg));
    return true;
}
