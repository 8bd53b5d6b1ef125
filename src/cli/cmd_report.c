/* cmd_report.c: `filmseg report`, the audience report of a panel. */
#include "commands.h"

#include "filmseg/model.h"
#include "filmseg/profile.h"
#include "filmseg/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: filmseg report [--data DIR] [--zips FILE] [--format text|markdown]\n"
                 "                      [--model FILE [--k K]] [--exclude-states LIST]\n"
                 "                      [--keep-unknown-state] [--strict]\n"
                 "Prints the audience report of a panel (the built-in demo without --data).\n"
                 "With --model, adds the model's segments: the elbow table, sizes, each\n"
                 "segment's demographics against the whole sample and its top films;\n"
                 "--k describes another k of the model's sweep.\n");
}

/* The model's segments at k on this panel: its users are matched by id. */
static int print_model_segments(const Panel *panel, const Profile *everyone,
                                const Segmentation *seg, int k, const char *path,
                                OutputFormat format)
{
    int32_t *labels = malloc((panel->n_users + 1) * sizeof *labels);
    long matched = labels ? segmentation_panel_labels(seg, k, panel, labels) : -1;
    if (matched < 0) {
        free(labels);
        fprintf(stderr, "filmseg report: out of memory\n");
        return EXIT_INPUT;
    }
    printf(format == FORMAT_MARKDOWN ? "\n# Segments of %s\n\n" : "\nSegments of %s\n\n", path);
    if (k != seg->k)
        printf("At k = %d of its sweep (the model's k is %d).\n", k, seg->k);
    printf("%ld of the panel's %zu users are in the model (matched by user id)", matched,
           panel->n_users);
    if ((size_t)matched < seg->n_users) /* a panel without some of the training users */
        printf("; %zu of the model's %zu users are not in the panel and are left out",
               seg->n_users - (size_t)matched, seg->n_users);
    printf(".\n");
    char trained[300], now[300]; /* said on stderr too, for scripts */
    if (segmentation_zips_differ(seg, panel, trained, now, sizeof trained))
        printf("Its states came from %s in training; this panel gets them from %s: users may be "
               "in other states, and the sample rules keep other users than the training's (%s).\n",
               trained, now, segmentation_zips_advice(seg));
    bool whole = report_training(seg, k, panel, format, stdout);
    if ((size_t)matched < panel->n_users)
        printf("\nUsers of the panel who are not in the model are left out below.\n");
    whole &= report_segments(panel, k, labels, everyone, format, stdout);
    free(labels);
    if (!whole) {
        fprintf(stderr, "filmseg report: out of memory: tables of the report are left out\n");
        return EXIT_INPUT;
    }
    return 0;
}

int cmd_report(int argc, char **argv)
{
    static const struct option long_options[] = {PANEL_LONG_OPTIONS,
                                                 {"format", required_argument, 0, 'f'},
                                                 {"model", required_argument, 0, 'm'},
                                                 {"k", required_argument, 0, 'k'},
                                                 {"help", no_argument, 0, 'h'},
                                                 {0, 0, 0, 0}};
    const char *model_path = NULL;
    double k_asked = 0; /* --k: another k of the model's sweep */
    bool k_given = false;
    PanelArgs args;
    panel_args_init(&args);
    OutputFormat format = FORMAT_TEXT;
    int opt;
    if (!cli_exact_options("report", argc, argv, long_options)) {
        usage(stderr);
        return EXIT_USAGE;
    }
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        int handled = panel_args_option(&args, opt, optarg);
        if (handled < 0)
            return EXIT_USAGE;
        if (handled)
            continue;
        if (opt == 'f') {
            if (!cli_format("report", optarg, &format)) {
                usage(stderr);
                return EXIT_USAGE;
            }
        } else if (opt == 'm') {
            model_path = optarg;
        } else if (opt == 'k') {
            if (!cli_number("report", "k", optarg, 1, KMEANS_MAX_K, true, &k_asked))
                return EXIT_USAGE;
            k_given = true;
        } else if (opt == 'h') {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "filmseg report: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return EXIT_USAGE;
    }
    if (k_given && !model_path) {
        fprintf(stderr, "filmseg report: --k picks a k of a model's sweep: give the model with "
                        "--model\n");
        return EXIT_USAGE;
    }
    Segmentation seg = {0};
    char error[512];
    if (model_path && model_load(&seg, model_path, error, sizeof error) != 0) {
        fprintf(stderr, "filmseg report: %s\n", error);
        return EXIT_INPUT;
    }
    int k = k_given ? (int)k_asked : seg.k;
    if (model_path && (k < 1 || k > seg.sweep.kmax)) {
        fprintf(stderr, "filmseg report: --k %d is outside %s's sweep (k = 1..%d)\n", k, model_path,
                seg.sweep.kmax);
        segmentation_free(&seg);
        return EXIT_USAGE;
    }
    Panel *panel = panel_args_load(&args, NULL);
    if (!panel) {
        segmentation_free(&seg);
        return EXIT_INPUT;
    }
    if (model_path && segmentation_panel_check(&seg, panel, error, sizeof error) != FS_OK) {
        fprintf(stderr, "filmseg report: %s: %s\n", model_path, error);
        segmentation_free(&seg);
        panel_free(panel);
        return EXIT_INPUT;
    }
    if (model_path)
        cli_warn_zips_differ("report", model_path, &seg, panel);
    Profile profile;
    int rc = profile_compute(panel, NULL, 0, &profile);
    if (rc != 0) {
        fprintf(stderr, "filmseg report: out of memory\n");
    } else if (!report_print(panel, &profile, format, stdout)) {
        fprintf(stderr, "filmseg report: out of memory: tables of the report are left out\n");
        rc = FS_ERROR;
    }
    if (rc == 0 && model_path)
        rc = print_model_segments(panel, &profile, &seg, k, model_path, format);
    segmentation_free(&seg);
    profile_free(&profile);
    panel_free(panel);
    return rc == 0 ? 0 : EXIT_INPUT;
}
