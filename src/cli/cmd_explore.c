/* cmd_explore.c: `filmseg explore` (and `filmseg` with no command on a
 * terminal): opens the terminal explorer on a panel folder, a saved model or
 * the built-in demo panel; without a terminal it says to use `filmseg report`
 * (or, with no command, prints the report as before). */
#include "commands.h"

#include "filmseg/model.h"
#include "filmseg/tui.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: filmseg explore [--data DIR] [--model FILE] [--zips FILE] [panel options]\n"
            "                       [--k 5] [--kmax 29] [--epochs 100] [--hidden 100]\n"
            "                       [--demo-weight W] [--genre-weight W] [--seed S]\n"
            "                       [--stability 5] [--no-train] [--out FILE]\n"
            "Opens the terminal explorer on a panel folder, on a saved model (--data\n"
            "describes its segments; users are matched by id) or on the built-in demo panel.\n"
            "Without a model it trains one in the background (--no-train: not until `t`).\n"
            "`s` saves the model at the k shown to --out (default: the --model file, else\n"
            "model.fsm), asking first before it replaces a file it did not open or write.\n"
            "Inside, `?` lists every key (and `?` again the words on screen).\n");
}

static const struct option OPTIONS[] = {
    PANEL_LONG_OPTIONS,    {"model", required_argument, 0, 'm'}, {"out", required_argument, 0, 'o'},
    TRAINING_LONG_OPTIONS, {"no-train", no_argument, 0, 'n'},    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0}};

/* The first option in argv that only the explorer takes (not the report's
 * panel options, --model or --help), or NULL. */
static const char *explorer_only_option(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        for (const struct option *o = OPTIONS; o->name; o++) {
            bool shared = (o->val >= 1000 && o->val < 1100) || o->val == 'm' || o->val == 'h';
            size_t len = strlen(o->name);
            if (!shared && strncmp(argv[i], "--", 2) == 0 &&
                strncmp(argv[i] + 2, o->name, len) == 0 &&
                (argv[i][2 + len] == '\0' || argv[i][2 + len] == '='))
                return argv[i];
        }
    return NULL;
}

/* Frees what config holds (the model, the panel) and returns status. */
static int give_up(TuiConfig *config, int status)
{
    if (config->seg) {
        segmentation_free(config->seg);
        free(config->seg);
    }
    panel_free(config->panel);
    return status;
}

int cmd_explore(int argc, char **argv)
{
    double started = tui_now();
    bool named = argc > 0 && strcmp(argv[0], "filmseg explore") == 0;
    if (!named) {
        /* `filmseg [panel options]`: the explorer on a terminal, else the report */
        bool report = !tui_available();
        for (int i = 1; i < argc; i++)
            if (strncmp(argv[i], "--format", 8) == 0)
                report = true;
        const char *only = report ? explorer_only_option(argc, argv) : NULL;
        if (only) {
            fprintf(stderr,
                    "filmseg: %.*s is the explorer's, which needs a terminal; without one "
                    "filmseg prints the report (`filmseg train` trains and writes a model)\n",
                    (int)strcspn(only, "="), only);
            return EXIT_USAGE;
        }
        /* getopt's messages then begin as the command's own do */
        argv[0] = report ? "filmseg report" : "filmseg explore";
        if (report)
            return cmd_report(argc, argv);
    }
    PanelArgs args;
    panel_args_init(&args);
    TuiConfig config;
    memset(&config, 0, sizeof config);
    pipeline_options_default(&config.training);
    config.train_at_start = true;
    config.started = started;
    const char *out_path = NULL;
    TrainingArgs training = {0};
    int opt;
    if (!cli_exact_options("explore", argc, argv, OPTIONS)) {
        usage(stderr);
        return EXIT_USAGE;
    }
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", OPTIONS, NULL)) != -1) {
        int handled = panel_args_option(&args, opt, optarg);
        if (handled == 0)
            handled = training_args_option(&training, "explore", opt, optarg);
        if (handled < 0)
            return EXIT_USAGE;
        if (handled)
            continue;
        switch (opt) {
        case 'm': config.model_path = optarg; break;
        case 'o': out_path = optarg; break;
        case 'n': config.train_at_start = false; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "filmseg explore: unexpected argument '%s'\n", argv[optind]);
        return EXIT_USAGE;
    }
    /* with a model, --k is the k it opens at: checked against its sweep
     * below, not against --kmax (the model's sweep is the one shown) */
    if (config.model_path && training.given[0]) {
        config.view_k = (int)training.value[0];
        training.given[0] = false;
    }
    /* the others would be taken for the model's, or for a retrain's: neither */
    const char *setting = config.model_path ? training_args_first_given(&training) : NULL;
    if (setting) {
        fprintf(stderr,
                "filmseg explore: --%s is a training setting: with --model the explorer shows the "
                "model's, and `t` retrains with the settings its form is given\n",
                setting);
        return EXIT_USAGE;
    }
    if (!training_args_apply(&training, "explore", &config.training))
        return EXIT_USAGE;
    if (!tui_available()) {
        fprintf(stderr, "filmseg explore: not a terminal; use `filmseg report` for the audience "
                        "report as text\n");
        return EXIT_USAGE;
    }
    if (out_path && strcmp(out_path, "-") == 0) {
        fprintf(stderr, "filmseg explore: --out takes a file name: where `s` saves the model\n");
        return EXIT_USAGE;
    }
    if (out_path && !cli_output_free("explore", "out", out_path, &args, NULL))
        return EXIT_USAGE;
    config.save_path = out_path ? out_path : config.model_path ? config.model_path : "model.fsm";
    config.data_dir = args.data_dir;
    config.zips_path = args.options.zips_path;
    /* found out before the training, not at `s` after it, as train does;
     * the path not given (browsing only, maybe) is said once open */
    bool save_path_writable = atomic_file_probe(config.save_path);
    int save_path_error = errno;
    if (out_path && !save_path_writable) {
        fprintf(stderr, "filmseg explore: %s: cannot write the model: %s\n", out_path,
                atomic_file_strerror(out_path, save_path_error));
        return EXIT_INPUT;
    }
    config.timing_path = getenv("FILMSEG_TUI_TIMING");
    if (config.timing_path && !*config.timing_path)
        config.timing_path = NULL;

    if (config.model_path) {
        config.seg = calloc(1, sizeof *config.seg);
        /* stamped before it is read: a file replaced meanwhile is not taken
         * for the one read, and s asks before replacing it */
        config.model_stamp = file_stamp(config.model_path);
        char error[512];
        if (!config.seg || model_load(config.seg, config.model_path, error, sizeof error) != 0) {
            fprintf(stderr, "filmseg explore: %s\n", config.seg ? error : "out of memory");
            free(config.seg);
            return EXIT_INPUT;
        }
    }
    size_t lines_skipped = 0;
    config.panel = panel_args_load(&args, &lines_skipped);
    if (!config.panel)
        return give_up(&config, EXIT_INPUT);
    char error[512];
    if (config.seg &&
        segmentation_panel_check(config.seg, config.panel, error, sizeof error) != FS_OK) {
        fprintf(stderr, "filmseg explore: %s: %s\n", config.model_path, error);
        return give_up(&config, EXIT_INPUT);
    }
    /* the notes said as it opens, one after another (at most TUI_MAX_NOTES) */
    char trained[160], now[160];
    if (config.seg && segmentation_zips_differ(config.seg, config.panel, trained, now, sizeof now))
        snprintf(config.notes[config.n_notes++], sizeof config.notes[0],
                 "states differ: the model's came from %s, this panel's from %s (%s)", trained, now,
                 segmentation_zips_advice(config.seg));
    if (lines_skipped) { /* said on stderr, hidden by the screen until q */
        const char *dir = args.data_dir ? args.data_dir : "";
        const char *quote = strchr(dir, ' ') ? "'" : ""; /* a command to copy whole */
        snprintf(config.notes[config.n_notes++], sizeof config.notes[0],
                 "%zu malformed line%s skipped in loading the panel: `filmseg report%s%s%.400s%s` "
                 "lists them",
                 lines_skipped, lines_skipped == 1 ? "" : "s", *dir ? " --data " : "", quote, dir,
                 quote);
    }
    if (!save_path_writable)
        snprintf(config.notes[config.n_notes++], sizeof config.notes[0],
                 "%s: cannot write: %s; s would fail (--out names another file)", config.save_path,
                 atomic_file_strerror(config.save_path, save_path_error));
    if (config.seg && config.view_k > config.seg->sweep.kmax) {
        fprintf(stderr, "filmseg explore: --k %d is beyond %s's sweep (k = 2..%d)\n", config.view_k,
                config.model_path, config.seg->sweep.kmax);
        return give_up(&config, EXIT_USAGE);
    }
    /* a small panel: the sweep reaches no further than its users, or than
     * the users of a stability refit when stability is measured */
    size_t reach = config.training.stability > 0 ? kmeans_stability_points(config.panel->n_users)
                                                 : config.panel->n_users;
    if ((size_t)config.training.kmax > reach)
        config.training.kmax = (int)reach;
    if (config.training.k > config.training.kmax)
        config.training.k = config.training.kmax;
    return tui_run(&config);
}
