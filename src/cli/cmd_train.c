/* cmd_train.c: `filmseg train`: runs the segmentation pipeline on a panel,
 * writes the model file and, when asked, a user_id,segment CSV. */
#include "commands.h"

#include "filmseg/atomic_file.h"
#include "filmseg/model.h"
#include "filmseg/pipeline.h"
#include "filmseg/report.h"
#include "progress_print.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: filmseg train [--data DIR] [--zips FILE] [--k 5] [--kmax 29] [--epochs 100]\n"
        "                     [--seed S] [--loss rated|study] [--demo-weight W] [--norm l1|l2]\n"
        "                     [--hidden 100] [--restarts 10] [--threads N] [--out model.fsm]\n"
        "                     [--labels FILE.csv] [--format text|markdown]\n"
        "                     [--implicit-weight W] [--implicit-negatives X] [--recency R]\n"
        "                     [--unrated-share X] [--unrated-weight W] [--stability 5]\n"
        "                     [--genre-weight 0.6] [--exclude-states LIST]\n"
        "                     [--keep-unknown-state] [--strict] [--quiet]\n"
        "Trains the segmentation (autoencoder, k-means sweep k = 1..kmax, classifier at k),\n"
        "measures each k's stability (the sweep made again on --stability random samples\n"
        "of 80%% of the users, at most 10,000; 0: not measured) and writes the model file.\n"
        "--loss study reproduces the study's method (MAE over every cell, L1 embeddings,\n"
        "unscaled demographics, no genre block, no stability). --quiet prints nothing\n"
        "but warnings and errors (no progress, no summary): for cron.\n"
        "Ranges: --k and --kmax 2..255 (k <= kmax), --epochs 1..100000, --hidden 2..4096,\n"
        "--restarts 1..1000, --threads 0..256 (0: every CPU), --seed 0..2147483647,\n"
        "--stability 0..100, --recency 0..50, --demo-weight and --genre-weight 0..1000,\n"
        "--implicit-* and --unrated-* 0..100.\n");
}

/* k-means leaves a segment empty only when fewer users than k have
 * distinct features (identical rows): said, as scikit-learn warns. */
static void warn_empty_segments(const Segmentation *seg)
{
    const int32_t *labels = segmentation_labels(seg, seg->k);
    size_t *size = calloc((size_t)seg->k, sizeof *size);
    if (!labels || !size) {
        free(size);
        return;
    }
    for (size_t u = 0; u < seg->n_users; u++)
        size[labels[u]]++;
    int empty = 0;
    for (int s = 0; s < seg->k; s++)
        empty += size[s] == 0;
    if (empty)
        fprintf(stderr,
                "filmseg train: %d of the %d segments are empty: fewer users than that have "
                "distinct features (choose a smaller k)\n",
                empty, seg->k);
    free(size);
}

int cmd_train(int argc, char **argv)
{
    static const struct option long_options[] = {PANEL_LONG_OPTIONS,
                                                 TRAINING_LONG_OPTIONS,
                                                 {"loss", required_argument, 0, 'l'},
                                                 {"norm", required_argument, 0, 'n'},
                                                 {"restarts", required_argument, 0, 'r'},
                                                 {"threads", required_argument, 0, 'T'},
                                                 {"out", required_argument, 0, 'o'},
                                                 {"labels", required_argument, 0, 'L'},
                                                 {"format", required_argument, 0, 'f'},
                                                 {"unrated-share", required_argument, 0, 'U'},
                                                 {"unrated-weight", required_argument, 0, 'V'},
                                                 {"implicit-weight", required_argument, 0, 'I'},
                                                 {"implicit-negatives", required_argument, 0, 'N'},
                                                 {"recency", required_argument, 0, 'R'},
                                                 {"quiet", no_argument, 0, 'q'},
                                                 {"help", no_argument, 0, 'h'},
                                                 {0, 0, 0, 0}};
    PanelArgs args;
    panel_args_init(&args);
    TrainingArgs training = {0};
    double restarts = 10, threads = 0;
    bool study = false, have_norm = false, quiet = false;
    double unrated_share = -1, unrated_weight = -1, implicit_weight = -1, implicit_negatives = -1;
    double recency = -1;
    EmbedNorm norm = EMBED_NORM_L2;
    const char *out_path = "model.fsm", *labels_path = NULL;
    OutputFormat format = FORMAT_TEXT;
    int opt;
    if (!cli_exact_options("train", argc, argv, long_options)) {
        usage(stderr);
        return EXIT_USAGE;
    }
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        int handled = panel_args_option(&args, opt, optarg);
        if (handled == 0)
            handled = training_args_option(&training, "train", opt, optarg);
        if (handled < 0)
            return EXIT_USAGE;
        if (handled)
            continue;
        switch (opt) {
        case 'r':
            if (!cli_number("train", "restarts", optarg, 1, 1000, true, &restarts))
                return EXIT_USAGE;
            break;
        case 'T':
            if (!cli_number("train", "threads", optarg, 0, 256, true, &threads))
                return EXIT_USAGE;
            break;
        case 'o': out_path = optarg; break;
        case 'L': labels_path = optarg; break;
        case 'l':
            if (strcmp(optarg, "study") != 0 && strcmp(optarg, "rated") != 0) {
                fprintf(stderr, "filmseg train: --loss must be rated or study\n");
                return EXIT_USAGE;
            }
            study = strcmp(optarg, "study") == 0;
            break;
        case 'n':
            if (strcmp(optarg, "l1") != 0 && strcmp(optarg, "l2") != 0) {
                fprintf(stderr, "filmseg train: --norm must be l1 or l2\n");
                return EXIT_USAGE;
            }
            norm = strcmp(optarg, "l1") == 0 ? EMBED_NORM_L1 : EMBED_NORM_L2;
            have_norm = true;
            break;
        case 'U':
        case 'V':
        case 'I':
        case 'N': {
            const char *name = opt == 'U'   ? "unrated-share"
                               : opt == 'V' ? "unrated-weight"
                               : opt == 'I' ? "implicit-weight"
                                            : "implicit-negatives";
            double *target = opt == 'U'   ? &unrated_share
                             : opt == 'V' ? &unrated_weight
                             : opt == 'I' ? &implicit_weight
                                          : &implicit_negatives;
            if (!cli_number("train", name, optarg, 0, 100, false, target))
                return EXIT_USAGE;
            break;
        }
        case 'R':
            if (!cli_number("train", "recency", optarg, 0, 50, false, &recency))
                return EXIT_USAGE;
            break;
        case 'q': quiet = true; break;
        case 'f':
            if (!cli_format("train", optarg, &format))
                return EXIT_USAGE;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "filmseg train: unexpected argument '%s'\n", argv[optind]);
        return EXIT_USAGE;
    }
    PipelineOptions options;
    if (study)
        pipeline_options_study(&options);
    else
        pipeline_options_default(&options);
    if (!training_args_apply(&training, "train", &options))
        return EXIT_USAGE;
    options.kmeans.restarts = (int)restarts;
    options.kmeans.threads = (int)threads;
    options.ae.threads = (int)threads;
    if (have_norm)
        options.features.norm = norm;
    if (unrated_share >= 0)
        options.ae.unrated_share = (float)unrated_share;
    if (unrated_weight >= 0)
        options.ae.unrated_weight = (float)unrated_weight;
    if (implicit_weight >= 0)
        options.ae.implicit_weight = (float)implicit_weight;
    if (implicit_negatives >= 0)
        options.ae.implicit_negatives = (float)implicit_negatives;
    if (recency >= 0)
        options.features.recency = recency;

    /* where the results go, checked before the work rather than after it */
    if (strcmp(out_path, "-") == 0) {
        fprintf(stderr, "filmseg train: --out takes a file name: the model is a binary file, not "
                        "for standard output (--labels - writes the labels there)\n");
        return EXIT_USAGE;
    }
    /* labels on standard output: --out /dev/stdout (or the file standard
     * output goes to) would put the model over them */
    bool labels_dash = labels_path && strcmp(labels_path, "-") == 0;
    const char *const labels_output[] = {"labels", labels_dash ? "/dev/stdout" : labels_path, NULL};
    if (!cli_output_free("train", "out", out_path, &args, labels_output) ||
        (labels_path && !cli_output_free("train", "labels", labels_path, &args, NULL)))
        return EXIT_USAGE;
    if (!atomic_file_probe(out_path)) {
        fprintf(stderr, "filmseg train: %s: cannot write the model: %s\n", out_path,
                atomic_file_strerror(out_path, errno));
        return EXIT_INPUT;
    }
    if (labels_path && !atomic_file_probe(labels_path)) {
        fprintf(stderr, "filmseg train: %s: cannot write the labels: %s\n", labels_path,
                atomic_file_strerror(labels_path, errno));
        return EXIT_INPUT;
    }
    Panel *panel = panel_args_load(&args, NULL);
    if (!panel)
        return EXIT_INPUT;
    ProgressPrinter printer;
    progress_printer_init(&printer);
    Progress progress = {quiet ? NULL : progress_print, &printer, NULL};
    Segmentation seg;
    char error[512];
    int rc = pipeline_run(panel, &options, &progress, &seg, error, sizeof error);
    progress_printer_finish(&printer);
    if (rc != FS_OK) {
        fprintf(stderr, "filmseg train: %s\n", error);
        panel_free(panel);
        return EXIT_INPUT;
    }
    warn_empty_segments(&seg);
    /* all or nothing: the model and the labels are written beside their
     * places, then the summary; only when all of that went through are the
     * files put in place (a failed train leaves the earlier ones as they were),
     * and then the line saying where they are */
    int status = 0;
    bool labels_to_stdout = labels_path && strcmp(labels_path, "-") == 0;
    AtomicFile model_file = {0}, labels_file = {0};
    if (model_write_file(&seg, out_path, &model_file, error, sizeof error) != 0) {
        fprintf(stderr, "filmseg train: %s\n", error);
        status = EXIT_INPUT;
    } else if (labels_path && !labels_to_stdout &&
               export_write_file(EXPORT_LABELS, &seg, seg.k, NULL, NULL, labels_path, &labels_file,
                                 error, sizeof error) != FS_OK) {
        fprintf(stderr, "filmseg train: %s\n", error);
        status = EXIT_INPUT;
    } else if (labels_to_stdout &&
               write_export("train", labels_path, EXPORT_LABELS, &seg, seg.k, NULL, NULL) != 0) {
        status = EXIT_INPUT;
    }
    /* the summary: on standard output, or beside the progress when the
     * labels go there (so that they stay a CSV) */
    FILE *summary = labels_to_stdout ? stderr : stdout;
    if (status == 0 && !quiet) {
        fprintf(summary, "Trained on %s: %zu users, %zu films rated, %zu ratings.\n", panel->source,
                panel->n_users, seg.n_films, panel->n_ratings);
        bool whole = report_training(&seg, seg.k, panel, format, summary);
        errno = 0;
        if (!whole) {
            fprintf(stderr, "filmseg train: out of memory: tables of the summary are left out; "
                            "nothing written\n");
            status = EXIT_INPUT;
        } else if (fflush(summary) != 0 || ferror(summary)) {
            fprintf(stderr, "filmseg train: cannot write the summary: %s; nothing written\n",
                    errno ? strerror(errno) : "a write failed");
            clearerr(summary); /* said here, not again on the way out */
            status = EXIT_INPUT;
        }
    }
    AtomicFile *const files[] = {&model_file, &labels_file};
    size_t to_place = labels_file.finished ? 2 : 1;
    size_t placed = status == 0 ? atomic_file_commit_all(files, to_place) : to_place;
    if (placed == 0) {
        fprintf(stderr, "filmseg train: %s: cannot write the model: %s\n", out_path,
                atomic_file_strerror(out_path, errno));
        status = EXIT_INPUT;
    } else if (placed < to_place) {
        fprintf(stderr,
                "filmseg train: %s: cannot write the labels: %s (the model in %s is the new one)\n",
                labels_path, atomic_file_strerror(labels_path, errno), out_path);
        status = EXIT_INPUT;
    }
    if (status == 0 && !quiet) { /* said once the files are in place, not before */
        fprintf(summary, "\nModel written to %s%s%s.\n", out_path,
                labels_path ? "; labels to " : "",
                labels_to_stdout ? "standard output"
                : labels_path    ? labels_path
                                 : "");
        if (fflush(summary) != 0 || ferror(summary)) {
            bool labels_placed = labels_path && !labels_to_stdout;
            fprintf(stderr,
                    "filmseg train: %s%s%s %s in place, but the summary's last line could not "
                    "be written\n",
                    out_path, labels_placed ? " and " : "", labels_placed ? labels_path : "",
                    labels_placed ? "are" : "is");
            clearerr(summary);
            status = EXIT_INPUT;
        }
    }
    atomic_file_discard(&model_file);
    atomic_file_discard(&labels_file);
    segmentation_free(&seg);
    panel_free(panel);
    return status;
}
