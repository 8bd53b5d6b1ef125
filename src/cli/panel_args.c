/* panel_args.c: the panel options shared by the commands; see commands.h. */
#include "commands.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

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

Panel *panel_args_load(const PanelArgs *args)
{
    Diag diag;
    diag_init(&diag, stderr, args->options.strict);
    Panel *panel = NULL;
    int rc = args->data_dir ? panel_load_dir(args->data_dir, &args->options, &diag, &panel)
                            : panel_load_demo(&args->options, &diag, &panel);
    diag_print_summary(&diag);
    if (rc != 0) {
        panel_free(panel);
        return NULL;
    }
    return panel;
}

bool cli_number(const char *command, const char *name, const char *value, double lo, double hi,
                bool whole, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    if (errno || end == value || *end || !(v >= lo && v <= hi) || (whole && v != (long)v)) {
        fprintf(stderr, "filmseg %s: --%s must be a %s %g..%g\n", command, name,
                whole ? "whole number" : "number", lo, hi);
        return false;
    }
    *out = v;
    return true;
}
