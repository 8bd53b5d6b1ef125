/* cmd_score.c: `filmseg score`: assigns users who were not in the training
 * panel to the segments of a model, by its classifier (probabilities of each
 * segment) or by the nearest centroid (distances to each). */
#include "commands.h"

#include "filmseg/kmeans.h"
#include "filmseg/model.h"
#include "filmseg/pipeline.h"
#include "filmseg/states.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: filmseg score --model FILE [--users FILE] --ratings FILE\n"
                 "                     [--by classifier|nearest] [--evidence] [--out FILE.csv]\n"
                 "                     [--zips FILE] [--strict]\n"
                 "Prints user_id,segment and each segment's probability (classifier) or\n"
                 "distance (nearest centroid) as CSV. FILE formats: u.user and u.data, or 1M's\n"
                 "users.dat and ratings.dat (a users file whose first line is '::'-separated);\n"
                 "for a model trained on a CSV release (no demographics), --ratings alone in its\n"
                 "ratings.csv format. One of the two may be -, standard input.\n"
                 "--evidence adds what each row rests on: ratings_used (the user's ratings of\n"
                 "the model's films) and unknown (the demographics it went without, as\n"
                 "age;gender;occupation;state; empty when none). --out writes the CSV to a\n"
                 "file put in place whole once written (a reader never sees half of it, and a\n"
                 "failed run leaves the last one), standard output without it.\n");
}

/* What a user's row went without: the demographics the model could not
 * use, ';'-separated ("" when none, and for a model without them). */
static void unknown_fields(const Segmentation *seg, const Panel *panel, const PanelUser *user,
                           char *buf, size_t size)
{
    buf[0] = '\0';
    if (!seg->demo.has_demographics)
        return;
    const char *occupation =
        user->occupation < panel->n_occupations ? panel->occupations[user->occupation] : "";
    bool state_known = false;
    for (size_t s = 0; s < seg->demo.n_states && !state_known; s++)
        state_known = seg->demo.states[s] == user->state;
    const struct {
        const char *name;
        bool unknown;
    } fields[] = {
        {"age", user->age < 0},
        {"gender", user->gender != 'M' && user->gender != 'F'},
        {"occupation", !*occupation || demo_encoding_occupation(&seg->demo, occupation) < 0},
        {"state", user->state == 0 || !state_known}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (fields[i].unknown) {
            if (buf[0])
                strncat(buf, ";", size - strlen(buf) - 1);
            strncat(buf, fields[i].name, size - strlen(buf) - 1);
        }
}

/* What stderr should say about the users to score before their rows: what
 * they lack or hold that the model does not know, and demographics read
 * otherwise than the training panel's. */
static void warn_about_users(const Segmentation *seg, const Panel *panel, const char *model_path,
                             const char *users_path)
{
    if (panel->n_users == 0) /* a batch of none: nothing to say of its users */
        return;
    /* demographics read otherwise than the training panel's were */
    if (seg->trained_with.known && seg->demo.has_demographics) {
        char trained[300], now[300];
        if (segmentation_zips_differ(seg, panel, trained, now, sizeof trained))
            fprintf(stderr,
                    "filmseg score: %s was trained with states from %s, these users get theirs "
                    "from %s: some may be in another state (%s)\n",
                    model_path, trained, now, segmentation_zips_advice(seg));
        if (seg->trained_with.ages_banded != panel->ages_banded)
            fprintf(stderr,
                    "filmseg score: %s was trained on %s, these users have %s: each band counts "
                    "as its lower bound\n",
                    model_path, seg->trained_with.ages_banded ? "age bands (1M)" : "exact ages",
                    panel->ages_banded ? "age bands (1M)" : "exact ages");
    }
    /* ZIP codes given that lead to no state (an empty one is counted with
     * the partial users): 4 digits is most often a leading zero a
     * spreadsheet dropped */
    size_t stateless = 0, short_zips = 0; /* short: all digits, fewer than 5 */
    const char *stateless_zip = NULL, *short_zip = NULL;
    for (size_t u = 0; seg->demo.has_demographics && u < panel->n_users; u++) {
        const char *zip = panel->users[u].zip;
        if (!zip[0] || panel->users[u].state != 0)
            continue;
        if (stateless++ == 0)
            stateless_zip = zip;
        if (strlen(zip) < 5 && strspn(zip, "0123456789") == strlen(zip) && short_zips++ == 0)
            short_zip = zip;
    }
    char short_note[160] = "";
    if (short_zips == stateless && short_zips > 0)
        snprintf(short_note, sizeof short_note,
                 "; fewer than 5 digits: leading zeros lost in a spreadsheet?");
    else if (short_zips)
        snprintf(short_note, sizeof short_note,
                 "; %zu of fewer than 5 digits ('%s'): leading zeros lost in a spreadsheet?",
                 short_zips, short_zip);
    if (stateless)
        fprintf(stderr,
                "filmseg score: %zu %s a ZIP code that gives no state (%s'%s'%s): scored with "
                "no state\n",
                stateless, stateless == 1 ? "user has" : "users have", stateless > 1 ? "e.g. " : "",
                stateless_zip, short_note);
    /* occupations the model has no column for (scored as none of its own) */
    size_t strangers = 0;
    const char *stranger = NULL;
    for (size_t u = 0; seg->demo.has_demographics && u < panel->n_users; u++) {
        const char *name = panel->occupations[panel->users[u].occupation];
        /* an empty one is counted with the partial users */
        if (*name && demo_encoding_occupation(&seg->demo, name) < 0) {
            strangers++;
            stranger = stranger ? stranger : name;
        }
    }
    if (strangers)
        fprintf(stderr,
                "filmseg score: %zu %s an occupation the model does not know (%s'%s'): "
                "scored as none of its occupations\n",
                strangers, strangers == 1 ? "user has" : "users have", strangers > 1 ? "e.g. " : "",
                stranger);
    /* states the model has no column for (AK and HI, left out of the
     * training panel by default; a territory): scored as none of its own */
    size_t outsiders = 0;
    int outsider_state = 0;
    for (size_t u = 0; seg->demo.has_demographics && u < panel->n_users; u++) {
        int state = panel->users[u].state; /* unknown: counted with the ZIP codes above */
        if (state != STATE_UNKNOWN && demo_encoding_state(&seg->demo, state) < 0 &&
            outsiders++ == 0)
            outsider_state = state;
    }
    if (outsiders)
        fprintf(stderr,
                "filmseg score: %zu %s in a state the model has no users of (%s%s): scored as "
                "in none of its states\n",
                outsiders, outsiders == 1 ? "user lives" : "users live",
                outsiders > 1 ? "e.g. " : "", state_info(outsider_state)->code);
    if (panel->sample.users_partial)
        fprintf(stderr,
                "filmseg score: %zu %s an age, gender, occupation or ZIP code missing or "
                "malformed: scored with it unknown (the first: %s line %zu, its %s)\n",
                panel->sample.users_partial,
                panel->sample.users_partial == 1 ? "user has" : "users have",
                users_path ? users_path : "the users file", panel->sample.users_partial_line,
                panel->sample.users_partial_field);
    if (panel->sample.ratings_unknown_film)
        fprintf(stderr, "filmseg score: %zu %s the model does not know %s left out\n",
                panel->sample.ratings_unknown_film,
                panel->sample.ratings_unknown_film == 1 ? "rating of a film" : "ratings of films",
                panel->sample.ratings_unknown_film == 1 ? "was" : "were");
}

int cmd_score(int argc, char **argv)
{
    /* of the panel options only --zips and --strict: production scores
     * everyone (no sample rules), from the files given (no --data) */
    static const struct option long_options[] = {
        {"zips", required_argument, 0, 1001},   {"strict", no_argument, 0, 1004},
        {"model", required_argument, 0, 'm'},   {"users", required_argument, 0, 'u'},
        {"ratings", required_argument, 0, 'r'}, {"by", required_argument, 0, 'b'},
        {"evidence", no_argument, 0, 'e'},      {"out", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    PanelArgs args;
    panel_args_init(&args);
    /* production assigns everyone: no sample rules */
    args.options.rules.keep_unknown_state = true;
    args.options.rules.n_exclude = 0;
    const char *model_path = NULL, *users_path = NULL, *ratings_path = NULL, *out_path = NULL;
    bool nearest = false, evidence = false;
    int opt;
    if (!cli_exact_options("score", argc, argv, long_options)) {
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
        case 'u': users_path = optarg; break;
        case 'r': ratings_path = optarg; break;
        case 'b':
            if (strcmp(optarg, "classifier") != 0 && strcmp(optarg, "nearest") != 0) {
                fprintf(stderr, "filmseg score: --by must be classifier or nearest\n");
                return EXIT_USAGE;
            }
            nearest = strcmp(optarg, "nearest") == 0;
            break;
        case 'e': evidence = true; break;
        case 'o': out_path = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "filmseg score: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!model_path || !ratings_path) {
        fprintf(stderr, "filmseg score: --model and --ratings are required\n");
        usage(stderr);
        return EXIT_USAGE;
    }
    if (out_path && strcmp(out_path, "-") == 0)
        out_path = NULL; /* standard output, as without it */
    const char *const inputs[] = {
        "model",    model_path, "ratings", ratings_path, users_path ? "users" : NULL,
        users_path, NULL};
    if (out_path && !cli_output_free("score", "out", out_path, &args, inputs))
        return EXIT_USAGE;
    if (out_path && !atomic_file_probe(out_path)) { /* before any reading */
        fprintf(stderr, "filmseg score: %s: cannot write: %s\n", out_path,
                atomic_file_strerror(out_path, errno));
        return EXIT_INPUT;
    }
    /* "-": standard input, for one of the two files */
    bool users_stdin = users_path && strcmp(users_path, "-") == 0;
    bool ratings_stdin = strcmp(ratings_path, "-") == 0;
    if (users_stdin && ratings_stdin) {
        fprintf(stderr, "filmseg score: only one of --users and --ratings can be standard input "
                        "(-)\n");
        return EXIT_USAGE;
    }
    if (users_stdin)
        users_path = "/dev/stdin";
    if (ratings_stdin)
        ratings_path = "/dev/stdin";
    Segmentation seg;
    char error[512];
    if (model_load(&seg, model_path, error, sizeof error) != 0) {
        fprintf(stderr, "filmseg score: %s\n", error);
        return EXIT_INPUT;
    }
    if (users_path && !seg.demo.has_demographics) {
        fprintf(stderr,
                "filmseg score: %s has no demographics (trained on a CSV release): it takes "
                "--ratings alone, its users those who rated\n",
                model_path);
        segmentation_free(&seg);
        return EXIT_USAGE;
    }
    if (!users_path && seg.demo.has_demographics) {
        fprintf(stderr,
                "filmseg score: %s was trained with demographics: give its users file (u.user or "
                "users.dat) with --users\n",
                model_path);
        segmentation_free(&seg);
        return EXIT_USAGE;
    }
    Diag diag;
    diag_init(&diag, stderr, args.options.strict);
    Panel *panel = NULL;
    int rc = panel_load_for_scoring(users_path, ratings_path, seg.film_ids, seg.n_films,
                                    &args.options, &diag, &panel);
    diag_print_summary(&diag);
    if (rc != 0) {
        segmentation_free(&seg);
        return EXIT_INPUT;
    }
    /* an empty pipe is more often a command before it that failed than a
     * batch without users or ratings (an empty file, or a CSV header alone,
     * says that) */
    bool users_none = users_stdin && panel->sample.users_file_empty;
    if (users_none || (ratings_stdin && panel->sample.ratings_file_empty)) {
        fprintf(stderr,
                "filmseg score: standard input (%s) was empty (or blank lines only): did the "
                "command before it fail? "
                "(%s: an empty file)\n",
                users_none ? "--users -" : "--ratings -",
                users_none ? "a batch of no users" : "a batch without ratings");
        panel_free(panel);
        segmentation_free(&seg);
        return EXIT_INPUT;
    }
    if (panel->sample.ratings_unknown_film > panel->n_ratings) {
        /* most films unknown: new releases, or the ids of another panel,
         * whose films are others; --strict stops on it */
        size_t all = panel->sample.ratings_unknown_film + panel->n_ratings;
        fprintf(stderr,
                "filmseg score: %zu of the %zu ratings (%.0f%%) are of films %s does not know: "
                "if their film ids are another panel's, these segments are noise%s\n",
                panel->sample.ratings_unknown_film, all,
                100.0 * (double)panel->sample.ratings_unknown_film / (double)all, model_path,
                args.options.strict ? " (--strict: stopped)" : " (--strict stops on this)");
        if (args.options.strict) {
            panel_free(panel);
            segmentation_free(&seg);
            return EXIT_INPUT;
        }
    }
    warn_about_users(&seg, panel, model_path, users_path);
    if (panel->n_users == 0) /* a batch of no new users: the header alone */
        fprintf(stderr, "filmseg score: %s has no users to score\n",
                users_path ? users_path : ratings_path);

    size_t width = nearest ? seg.dim : segmentation_classifier_width(&seg);
    const KmeansResult *km = &seg.sweep.results[seg.k - 1];
    float *row = malloc((width + 1) * sizeof *row), *proba = malloc((size_t)seg.k * sizeof *proba);
    uint32_t *col = malloc((seg.n_films + 1) * sizeof *col);
    float *value = malloc((seg.n_films + 1) * sizeof *value);
    uint32_t *time = malloc((seg.n_films + 1) * sizeof *time);
    bool oom = !(row && proba && col && value && time);
    rc = oom ? EXIT_INPUT : 0;
    AtomicFile out_file = {0};
    FILE *out = stdout;
    if (rc == 0 && out_path) {
        if (!atomic_file_open(&out_file, out_path)) {
            fprintf(stderr, "filmseg score: %s: cannot write: %s\n", out_path,
                    atomic_file_strerror(out_path, errno));
            rc = EXIT_INPUT;
        }
        out = out_file.f;
    }
    if (rc == 0) {
        fprintf(out, "user_id,segment");
        for (int s = 0; s < seg.k; s++)
            fprintf(out, nearest ? ",distance_%d" : ",p_%d", s);
        fprintf(out, evidence ? ",ratings_used,unknown\n" : "\n");
    }
    size_t unrated = 0; /* users with no rating of the model's films */
    for (size_t u = 0; rc == 0 && u < panel->n_users; u++) {
        size_t n = segmentation_user_ratings(&seg, panel, u, col, value, time);
        unrated += n == 0;
        int segment;
        if (nearest) {
            if (segmentation_feature_row(&seg, panel, &panel->users[u], n, col, value, time, row) !=
                0) {
                oom = true;
                rc = EXIT_INPUT;
                break;
            }
            segment = kmeans_assign_nearest(km->centroids, seg.k, seg.dim, row);
            /* the distances printed are summed in double, not by sqdist
             * (float lanes, as the assignment above): sqdist's differ from
             * these in the sixth decimal (74 of ml-100k's 943 users), and
             * score's output stays as it was */
            for (int s = 0; s < seg.k; s++) {
                double d2 = 0;
                for (size_t j = 0; j < seg.dim; j++) {
                    double diff = row[j] - km->centroids[(size_t)s * seg.dim + j];
                    d2 += diff * diff;
                }
                proba[s] = (float)sqrt(d2);
            }
        } else {
            segmentation_classifier_row(&seg, panel, &panel->users[u], n, col, value, row);
            /* one forward pass: the probabilities and their most probable
             * segment; -1 only when memory ran out (nothing here is NULL) */
            segment = classifier_predict_proba(&seg.classifier, row, proba);
            if (segment < 0) {
                oom = true;
                rc = EXIT_INPUT;
                break;
            }
        }
        fprintf(out, "%d,%d", panel->users[u].id, segment);
        for (int s = 0; s < seg.k; s++)
            fprintf(out, ",%.6f", proba[s]);
        if (evidence) {
            char unknown[64];
            unknown_fields(&seg, panel, &panel->users[u], unknown, sizeof unknown);
            fprintf(out, ",%zu,%s", n, unknown);
        }
        fputc('\n', out);
    }
    if (rc == 0 && out_path && !atomic_file_commit(&out_file)) {
        fprintf(stderr, "filmseg score: %s: cannot write: %s\n", out_path,
                atomic_file_strerror(out_path, errno));
        rc = EXIT_INPUT;
    }
    atomic_file_discard(&out_file); /* unless committed: a failed run leaves the last file */
    if (oom)
        fprintf(stderr, "filmseg score: out of memory\n");
    else if (rc == 0 && unrated)
        fprintf(stderr,
                "filmseg score: %zu of the %zu users rated none of the model's films: their "
                "segments rest on %s\n",
                unrated, panel->n_users,
                seg.demo.has_demographics ? "demographics alone"
                                          : "nothing (the model has no demographics)");
    free(row);
    free(proba);
    free(col);
    free(value);
    free(time);
    panel_free(panel);
    segmentation_free(&seg);
    return rc;
}
