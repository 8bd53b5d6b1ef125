/* cmd_synth.c: `filmseg synth`: writes a synthetic panel with planted
 * segments (ml-100k or ml-1m files plus truth.csv) into a folder. */
#include "commands.h"

#include "filmseg/synth.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: filmseg synth --out DIR [--users 943] [--films 1682] [--ratings 100000]\n"
                 "                     [--segments 5] [--seed 1] [--format ml-100k|ml-1m]\n"
                 "                     [--separation 100] [--zips FILE]\n"
                 "Writes a synthetic panel whose users fall into planted segments (each with its\n"
                 "own demographics and taste), and truth.csv (user_id,segment). The same options\n"
                 "give the same files, byte for byte. --separation scales the planted taste\n"
                 "(percent of the default; 0 = demographics only). Without --zips, ZIP codes\n"
                 "have real three-digit prefixes (the built-in table's) but are mostly not real\n"
                 "codes, so read the panel without --zips; with a ZIP list (uszips.csv), each\n"
                 "user's code is one of its state's codes in it, and the panel is otherwise\n"
                 "the same.\n");
}

static bool parse_u64(const char *name, const char *value, unsigned long long lo,
                      unsigned long long hi, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(value, &end, 10);
    /* digits only: strtoull skips blanks and takes a sign ("-1" and " -1"
     * would wrap to 2^64 - 1) */
    if (errno || *end || !isdigit((unsigned char)value[0]) || v < lo || v > hi) {
        fprintf(stderr, "filmseg synth: --%s must be a whole number %llu..%llu\n", name, lo, hi);
        return false;
    }
    *out = v;
    return true;
}

/* "12.3%" of part in total, with integer arithmetic. */
static void print_share(uint64_t part, uint64_t total)
{
    uint64_t tenths = total ? (part * 1000 + total / 2) / total : 0;
    printf("%5llu.%llu%%", (unsigned long long)(tenths / 10), (unsigned long long)(tenths % 10));
}

int cmd_synth(int argc, char **argv)
{
    static const struct option long_options[] = {{"users", required_argument, 0, 'u'},
                                                 {"films", required_argument, 0, 'm'},
                                                 {"ratings", required_argument, 0, 'r'},
                                                 {"segments", required_argument, 0, 'S'},
                                                 {"seed", required_argument, 0, 's'},
                                                 {"out", required_argument, 0, 'o'},
                                                 {"format", required_argument, 0, 'f'},
                                                 {"separation", required_argument, 0, 'p'},
                                                 {"zips", required_argument, 0, 'z'},
                                                 {"help", no_argument, 0, 'h'},
                                                 {0, 0, 0, 0}};
    SynthOptions opts;
    synth_options_default(&opts);
    const char *out_dir = NULL, *zips_path = NULL;
    unsigned long long v;
    int opt;
    if (!cli_exact_options("synth", argc, argv, long_options)) {
        usage(stderr);
        return EXIT_USAGE;
    }
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        switch (opt) {
        case 'u':
            if (!parse_u64("users", optarg, 1, SYNTH_MAX_USERS, &v))
                return EXIT_USAGE;
            opts.n_users = (size_t)v;
            break;
        case 'm':
            if (!parse_u64("films", optarg, 1, SYNTH_MAX_FILMS, &v))
                return EXIT_USAGE;
            opts.n_films = (size_t)v;
            break;
        case 'r':
            if (!parse_u64("ratings", optarg, 1, 1000000000000ULL, &v))
                return EXIT_USAGE;
            opts.n_ratings = v;
            break;
        case 'S':
            if (!parse_u64("segments", optarg, 1, SYNTH_MAX_SEGMENTS, &v))
                return EXIT_USAGE;
            opts.n_segments = (int)v;
            break;
        case 's':
            if (!parse_u64("seed", optarg, 0, UINT64_MAX, &v))
                return EXIT_USAGE;
            opts.seed = v;
            break;
        case 'p':
            if (!parse_u64("separation", optarg, 0, 400, &v))
                return EXIT_USAGE;
            opts.separation = (int)v;
            break;
        case 'o': out_dir = optarg; break;
        case 'z': zips_path = optarg; break;
        case 'f':
            if (strcmp(optarg, "ml-100k") == 0)
                opts.format = SYNTH_ML100K;
            else if (strcmp(optarg, "ml-1m") == 0)
                opts.format = SYNTH_ML1M;
            else {
                fprintf(stderr, "filmseg synth: --format must be ml-100k or ml-1m\n");
                return EXIT_USAGE;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "filmseg synth: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!out_dir) {
        fprintf(stderr, "filmseg synth: --out DIR is required\n");
        usage(stderr);
        return EXIT_USAGE;
    }
    char error[512];
    if (synth_options_check(&opts, error, sizeof error) != 0) {
        fprintf(stderr, "filmseg synth: %s\n", error);
        return EXIT_USAGE;
    }
    if (synth_check_dir(out_dir, opts.format, error, sizeof error) != 0) {
        fprintf(stderr, "filmseg synth: %s\n", error);
        return EXIT_USAGE; /* an output that would replace an input, as elsewhere */
    }
    ZipMap zips;
    if (zips_path) {
        Diag diag;
        diag_init(&diag, stderr, false);
        int rc = zipmap_load_csv(&zips, zips_path, &diag);
        diag_print_summary(&diag);
        if (rc != 0)
            return EXIT_INPUT;
        opts.zips = &zips;
    }
    SynthSummary sum;
    int rc = synth_write(&opts, out_dir, &sum, error, sizeof error);
    if (zips_path)
        zipmap_free(&zips);
    if (rc != 0) {
        fprintf(stderr, "filmseg synth: %s\n", error);
        return EXIT_INPUT;
    }
    if (sum.users_zip_unlisted)
        fprintf(stderr,
                "filmseg synth: %s has no code for the states of %zu of the %zu users: theirs have "
                "the built-in table's prefixes (a ZIP list of every state places them all)\n",
                zips_path, sum.users_zip_unlisted, sum.n_users);
    printf("Wrote an %s panel to %s: %zu users, %zu films, %llu ratings, %d planted segments "
           "(seed %llu).\n",
           synth_format_name(opts.format), out_dir, sum.n_users, sum.n_films,
           (unsigned long long)sum.n_ratings, opts.n_segments, (unsigned long long)opts.seed);
    printf("Ratings per user: %u to %u. Scores 1..5:", sum.min_user_ratings, sum.max_user_ratings);
    for (int s = 1; s <= 5; s++)
        print_share(sum.ratings_by_score[s], sum.n_ratings);
    printf("\nUsers per segment (truth.csv):");
    for (int s = 0; s < opts.n_segments; s++)
        printf(" %d:%zu", s, sum.users_by_segment[s]);
    printf("\n");
    return 0;
}
