/* cmd_report.c: `filmseg report`, the audience report of a panel. */
#include "commands.h"

#include "filmseg/profile.h"
#include "filmseg/report.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: filmseg report [--data DIR] [--zips FILE] [--format text|markdown]\n"
                 "                      [--exclude-states LIST] [--keep-unknown-state] [--strict]\n"
                 "Prints the audience report of a panel (the built-in demo without --data).\n");
}

int cmd_report(int argc, char **argv)
{
    static const struct option long_options[] = {
        PANEL_LONG_OPTIONS, {"format", required_argument, 0, 'f'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    PanelArgs args;
    panel_args_init(&args);
    OutputFormat format = FORMAT_TEXT;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        int handled = panel_args_option(&args, opt, optarg);
        if (handled < 0)
            return EXIT_USAGE;
        if (handled)
            continue;
        if (opt == 'f' && strcmp(optarg, "text") == 0)
            format = FORMAT_TEXT;
        else if (opt == 'f' && strcmp(optarg, "markdown") == 0)
            format = FORMAT_MARKDOWN;
        else if (opt == 'h') {
            usage(stdout);
            return 0;
        } else {
            if (opt == 'f')
                fprintf(stderr, "filmseg report: --format must be text or markdown\n");
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "filmseg report: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return EXIT_USAGE;
    }
    Panel *panel = panel_args_load(&args);
    if (!panel)
        return EXIT_INPUT;
    Profile profile;
    int rc = profile_compute(panel, NULL, 0, &profile);
    if (rc == 0)
        report_print(panel, &profile, format, stdout);
    else
        fprintf(stderr, "filmseg report: out of memory\n");
    profile_free(&profile);
    panel_free(panel);
    return rc == 0 ? 0 : EXIT_INPUT;
}
