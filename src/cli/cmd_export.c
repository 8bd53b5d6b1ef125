/* cmd_export.c: `filmseg export`: one table of a model's segments as CSV
 * (see export.h for the tables), for spreadsheets and other programs. */
#include "commands.h"

#include "filmseg/export.h"
#include "filmseg/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: filmseg export --model FILE --table NAME [--k K] [--out FILE.csv]\n"
                 "                      [--data DIR] [--zips FILE] [--exclude-states LIST]\n"
                 "                      [--keep-unknown-state] [--strict]\n"
                 "Writes one table of the model's segments as CSV (to stdout without --out):\n"
                 "  labels       user_id,segment of every user the model was trained on\n"
                 "  elbow        inertia, drop, silhouette, stability, knee, choice and the\n"
                 "               weakest segment's stability for k = 1..kmax\n"
                 "  segments     each segment's size, ratings, mean rating, share of men, age,\n"
                 "               stability, liked films' median year and its line in short\n"
                 "  profiles     each segment's users by gender, age, occupation and state,\n"
                 "               with the index against the whole sample (100 = as everyone)\n"
                 "  genres       each segment's ratings and likes (4 or 5 stars; 3.5 up) by\n"
                 "               genre, with the share of its likes and the index against\n"
                 "               everyone (empty under 10 likes)\n"
                 "  top          each segment's top 10 films per score\n"
                 "  heatmap      the study's sample of films: each score's share per segment\n"
                 "  distinctive  each segment's films liked far more often than by everyone\n"
                 "               (the highest lift), with score shares\n"
                 "--k picks another segmentation of the model's sweep (default: the model's k).\n"
                 "The tables from segments on describe the panel's users (matched to the\n"
                 "model by user id): give the panel the model was trained on with --data.\n");
}

int cmd_export(int argc, char **argv)
{
    static const struct option long_options[] = {PANEL_LONG_OPTIONS,
                                                 {"model", required_argument, 0, 'm'},
                                                 {"table", required_argument, 0, 't'},
                                                 {"k", required_argument, 0, 'k'},
                                                 {"out", required_argument, 0, 'o'},
                                                 {"help", no_argument, 0, 'h'},
                                                 {0, 0, 0, 0}};
    PanelArgs args;
    panel_args_init(&args);
    const char *model_path = NULL, *out_path = NULL;
    int table = -1;
    double k = 0;
    int opt;
    if (!cli_exact_options("export", argc, argv, long_options)) {
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
        switch (opt) {
        case 'm': model_path = optarg; break;
        case 'o': out_path = optarg; break;
        case 't':
            table = export_table_find(optarg);
            if (table < 0) {
                fprintf(stderr,
                        "filmseg export: --table must be labels, elbow, segments, profiles, "
                        "genres, top, heatmap or distinctive (not '%s')\n",
                        optarg);
                return EXIT_USAGE;
            }
            break;
        case 'k':
            if (!cli_number("export", "k", optarg, 1, KMEANS_MAX_K, true, &k))
                return EXIT_USAGE;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "filmseg export: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!model_path || table < 0) {
        fprintf(stderr, "filmseg export: %s\n",
                !model_path ? "--model is required" : "--table is required");
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *const model_file[] = {"model", model_path, NULL};
    if (out_path && strcmp(out_path, "-") != 0 &&
        !cli_output_free("export", "out", out_path, &args, model_file))
        return EXIT_USAGE;
    Segmentation seg = {0};
    char error[512];
    if (model_load(&seg, model_path, error, sizeof error) != 0) {
        fprintf(stderr, "filmseg export: %s\n", error);
        return EXIT_INPUT;
    }
    int chosen = k > 0 ? (int)k : seg.k;
    if (chosen > seg.sweep.kmax) {
        fprintf(stderr, "filmseg export: --k %d is outside %s's sweep (k = 1..%d)\n", chosen,
                model_path, seg.sweep.kmax);
        segmentation_free(&seg);
        return EXIT_USAGE;
    }
    Panel *panel = NULL;
    int32_t *labels = NULL;
    int status = 0;
    if ((table == EXPORT_ELBOW || table == EXPORT_SEGMENTS) && segmentation_stability_stopped(&seg))
        fprintf(stderr,
                "filmseg export: %s's stability was stopped at %d of the %d refits asked in "
                "training: its stability column is of those done\n",
                model_path, segmentation_stability_refits(&seg), seg.options.stability);
    if (export_table_needs_panel((ExportTable)table)) {
        panel = panel_args_load(&args, NULL);
        if (!panel) {
            segmentation_free(&seg);
            return EXIT_INPUT;
        }
        if (segmentation_panel_check(&seg, panel, error, sizeof error) != FS_OK) {
            fprintf(stderr, "filmseg export: %s: %s\n", model_path, error);
            status = EXIT_INPUT;
        }
        if (status == 0)
            cli_warn_zips_differ("export", model_path, &seg, panel);
        labels = status ? NULL : malloc((panel->n_users + 1) * sizeof *labels);
        long matched = labels ? segmentation_panel_labels(&seg, chosen, panel, labels) : -1;
        if (status == 0 && matched < 0) {
            fprintf(stderr, "filmseg export: out of memory\n");
            status = EXIT_INPUT;
        } else if (status == 0 && table == EXPORT_PROFILES && !panel->has_demographics) {
            fprintf(stderr,
                    "filmseg export: %s has no demographics: the profiles table has only "
                    "its header\n",
                    panel->source);
        } else if (status == 0 && (size_t)matched < panel->n_users) {
            fprintf(stderr,
                    "filmseg export: %ld of the panel's %zu users are in the model; the "
                    "others count in \"all\" only\n",
                    matched, panel->n_users);
        }
        if (status == 0 && matched >= 0 && (size_t)matched < seg.n_users)
            fprintf(stderr,
                    "filmseg export: %zu of the model's %zu users are not in the panel: the "
                    "segments are described by the other %ld\n",
                    seg.n_users - (size_t)matched, seg.n_users, matched);
    }
    if (status == 0 &&
        write_export("export", out_path, (ExportTable)table, &seg, chosen, panel, labels) != 0)
        status = EXIT_INPUT;
    free(labels);
    panel_free(panel);
    segmentation_free(&seg);
    return status;
}
