/* synth.c: synthetic panels with planted segments, written as MovieLens 100K
 * or 1M files plus truth.csv; see synth.h. Every value written comes from
 * integer arithmetic on the shared RNG, so files are byte-identical for the
 * same options on any machine. Scores and affinities are in 1/64 star. */
#include "filmseg/synth.h"

#include "filmseg/atomic_file.h"
#include "filmseg/panel.h"

#include "filmseg/rng.h"
#include "filmseg/states.h"
#include "filmseg/zipmap.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- tunables (integers only) ----
 * A segment's opinion of a film (1/64 star) is its genre scores x
 * OPINION_GENRE, plus its own view of the film (sd OPINION_SD), plus
 * OPINION_SIGNATURE for its signature films. The opinion drives both which
 * films its users pick (choice weight = popularity x 2^(opinion /
 * OPINION_PER_UNIT) at separation 100) and how they score them (SCORE_BASE +
 * quality + opinion + user bias + noise, cut into 1..5 stars at SCORE_CUT_*,
 * which gives about MovieLens's 6/11/27/34/21%). Measured with the default
 * pipeline (943 x 1682 x 100,000, 5 segments, 30 epochs), adjusted Rand
 * index at k = 5: 1.0 at separation 100; at 70 and at 50, 1.0 with the
 * likes head (seeds 0 and 1; with the logistic head it replaced, 1.0 at 70
 * and 0.75..0.99 at 50). */
enum {
    MIN_USER_RATINGS = 20,  /* as in MovieLens, when the ratings allow it */
    ACTIVITY_CONTINUE = 30, /* % chance of doubling a user's activity again */
    ACTIVITY_MAX_DOUBLINGS = 12,
    POP_SCALE = 1 << 22, /* Zipf popularity: POP_SCALE / (rank + POP_OFFSET) */
    POP_OFFSET = 8,
    SIGNATURE_PER_MILLE = 50, /* share of films that are a segment's signature films */
    AFF_MIN = -6,
    AFF_MAX = 8,
    TASTE_GAIN_Q16 = 65536, /* choice weight x (1 + separation/100) per affinity unit */
                            /* (Q16; weight factors are capped at FACTOR_MAX / 2^16) */
    FACTOR_MAX = 1 << 22,
    CHOICE_POPULAR = 15, /* % of a user's choices by popularity alone */
    CHOICE_OTHER = 10,   /* % from another segment's taste */
    SCORE_BASE = 166,    /* 2.6 stars, in 1/64 star */
    SCORE_CUT_1 = 74,
    SCORE_CUT_2 = 134,
    SCORE_CUT_3 = 214,
    SCORE_CUT_4 = 288,       /* ordinal cuts */
    OPINION_GENRE = 12,      /* a segment's opinion of a film: per unit of genre score */
    OPINION_SD = 70,         /* and its own view of each film (1.1 star) */
    OPINION_SIGNATURE = 48,  /* signature films: three quarters of a star more */
    OPINION_PER_UNIT = 24,   /* opinion (1/64 star) per unit of choice affinity */
    SCORE_NOISE_SD = 36,     /* 0.56 star */
    USER_BIAS_SD = 22,       /* 0.35 star */
    FILM_QUALITY_SD = 29,    /* 0.45 star */
    RARE_STATE_DIVISOR = 20, /* Alaska and Hawaii: 1/20 of their population share */
};

/* Independent RNG streams of a seed. */
enum { STREAM_FILMS = 1, STREAM_SEGMENTS = 2, STREAM_ACTIVITY = 3 };
#define STREAM_USER_BASE 0x100000000ULL

/* ---- genres ---- */
enum { N_GENRES = 19 }; /* ml-100k's, index 0 "unknown" (never given) */
static const char *GENRES[N_GENRES] = {
    "unknown",     "Action", "Adventure", "Animation", "Children's", "Comedy",  "Crime",
    "Documentary", "Drama",  "Fantasy",   "Film-Noir", "Horror",     "Musical", "Mystery",
    "Romance",     "Sci-Fi", "Thriller",  "War",       "Western",
};
/* How often each genre is given (ml-100k's counts). */
static const uint32_t GENRE_WEIGHT[N_GENRES] = {0,  251, 135, 42, 122, 505, 109, 50, 725, 22,
                                                24, 92,  56,  61, 247, 101, 251, 71, 27};

/* ---- occupations: labels (ml-100k) or codes (ml-1m), base weights ---- */
typedef struct {
    const char *label; /* ml-100k label, or NULL in the ml-1m table */
    int code;          /* ml-1m code */
    uint32_t weight;   /* share in the real panel */
} Occupation;

static const Occupation OCC_100K[] = {
    {"administrator", 0, 79}, {"artist", 0, 28},     {"doctor", 0, 7},
    {"educator", 0, 95},      {"engineer", 0, 67},   {"entertainment", 0, 18},
    {"executive", 0, 32},     {"healthcare", 0, 16}, {"homemaker", 0, 7},
    {"lawyer", 0, 12},        {"librarian", 0, 51},  {"marketing", 0, 26},
    {"none", 0, 9},           {"other", 0, 105},     {"programmer", 0, 66},
    {"retired", 0, 14},       {"salesman", 0, 12},   {"scientist", 0, 31},
    {"student", 0, 196},      {"technician", 0, 27}, {"writer", 0, 45},
};
enum { OCC_100K_N = 21, OCC_100K_STUDENT = 18, OCC_100K_RETIRED = 15 };

static const Occupation OCC_1M[] = {
    {NULL, 0, 711},  {NULL, 1, 528},  {NULL, 2, 267},  {NULL, 3, 173},  {NULL, 4, 759},
    {NULL, 5, 112},  {NULL, 6, 236},  {NULL, 7, 679},  {NULL, 8, 17},   {NULL, 9, 92},
    {NULL, 10, 195}, {NULL, 11, 129}, {NULL, 12, 388}, {NULL, 13, 142}, {NULL, 14, 302},
    {NULL, 15, 144}, {NULL, 16, 241}, {NULL, 17, 502}, {NULL, 18, 70},  {NULL, 19, 72},
    {NULL, 20, 281},
};
enum { OCC_1M_N = 21, OCC_1M_COLLEGE = 4, OCC_1M_K12 = 10, OCC_1M_RETIRED = 13 };
enum { MAX_OCC = 21 };

/* ---- states: population (thousands, 2020 census) and census division ---- */
typedef struct {
    const char *code;
    uint32_t population;
    int division; /* 0..8 */
} StatePop;

static const StatePop STATE_POP[] = {
    {"CA", 39538, 8}, {"TX", 29146, 6}, {"FL", 21538, 4}, {"NY", 20201, 1}, {"PA", 13003, 1},
    {"IL", 12813, 2}, {"OH", 11799, 2}, {"GA", 10712, 4}, {"NC", 10439, 4}, {"MI", 10077, 2},
    {"NJ", 9289, 1},  {"VA", 8631, 4},  {"WA", 7705, 8},  {"AZ", 7152, 7},  {"MA", 7030, 0},
    {"TN", 6911, 5},  {"IN", 6786, 2},  {"MD", 6177, 4},  {"MO", 6154, 3},  {"WI", 5894, 2},
    {"CO", 5774, 7},  {"MN", 5706, 3},  {"SC", 5119, 4},  {"AL", 5024, 5},  {"LA", 4658, 6},
    {"KY", 4506, 5},  {"OR", 4237, 8},  {"OK", 3959, 6},  {"CT", 3606, 0},  {"UT", 3272, 7},
    {"IA", 3190, 3},  {"NV", 3105, 7},  {"AR", 3012, 6},  {"MS", 2961, 5},  {"KS", 2938, 3},
    {"NM", 2117, 7},  {"NE", 1962, 3},  {"ID", 1839, 7},  {"WV", 1794, 4},  {"HI", 1455, 8},
    {"NH", 1377, 0},  {"ME", 1362, 0},  {"RI", 1097, 0},  {"MT", 1084, 7},  {"DE", 990, 4},
    {"SD", 887, 3},   {"ND", 779, 3},   {"AK", 733, 8},   {"DC", 690, 4},   {"VT", 643, 0},
    {"WY", 577, 7},
};
enum { N_STATES = sizeof STATE_POP / sizeof STATE_POP[0], N_DIVISIONS = 9 };

/* ---- title words ---- */
static const char *ADJECTIVES[] = {
    "Marmalade", "Velvet",      "Crooked",   "Silent",        "Midnight",  "Paper",
    "Electric",  "Lonesome",    "Borrowed",  "Copper",        "Invisible", "Reluctant",
    "Tangerine", "Wandering",   "Forgotten", "Crimson",       "Hollow",    "Glass",
    "Restless",  "Accidental",  "Flying",    "Last",          "Second",    "Quiet",
    "Wicked",    "Golden",      "Rusty",     "Brave",         "Frozen",    "Burning",
    "Secret",    "Distant",     "Clockwork", "Peculiar",      "Lucky",     "Broken",
    "Hidden",    "Sleepy",      "Stolen",    "Northern",      "Sapphire",  "Lavender",
    "Ordinary",  "Magnificent", "Tiny",      "Upside-Down",   "Haunted",   "Cosmic",
    "Gentle",    "Savage",      "Neon",      "Velvet-Gloved", "Phantom",   "Curious",
    "Thirsty",   "Jolly",
};
static const char *NOUNS[] = {
    "Conspiracy", "Lighthouse",  "Accountant",   "Detective",  "Orchard",  "Ladder",   "Typewriter",
    "Saxophone",  "Umbrella",    "Heist",        "Carnival",   "Tortoise", "Pancake",  "Harbour",
    "Parachute",  "Alibi",       "Cartographer", "Lantern",    "Symphony", "Caravan",  "Rooftop",
    "Weekend",    "Inheritance", "Astronaut",    "Balloon",    "Mirror",   "Telegram", "Sheriff",
    "Locomotive", "Gardener",    "Mermaid",      "Bicycle",    "Volcano",  "Cowboy",   "Librarian",
    "Waltz",      "Scarecrow",   "Submarine",    "Robot",      "Pirate",   "Diner",    "Motel",
    "Compass",    "Treasure",    "Blizzard",     "Rendezvous", "Outlaw",   "Sandwich", "Kingdom",
    "Hitchhiker", "Jukebox",     "Prophecy",     "Monsoon",    "Magician", "Widow",    "Cello",
    "Zeppelin",   "Chandelier",  "Greenhouse",   "Violinist",  "Dentist",  "Mongoose", "Passport",
    "Spaceship",  "Nightingale", "Ferris Wheel", "Bookshop",   "Lemonade", "Dragon",   "Airship",
};
static const char *PLACES[] = {
    "Elm Street",    "the Moon",   "Paris",      "Tuesday",          "the Desert",   "Bakersfield",
    "the Tundra",    "Room 9",     "Marrakesh",  "the Valley",       "Harbour Town", "the Attic",
    "Saturn",        "Old Mexico", "the Island", "Dry Creek",        "the Bayou",    "Brooklyn",
    "Lake Wobegone", "the North",  "Venice",     "Dead Man's Gulch", "Zanzibar",     "Main Street",
};
static const char *NAMES[] = {
    "Ruby",    "Hank",   "Marlowe", "Delilah", "Otis",   "Mabel",   "Buster",   "Clementine",
    "Rufus",   "Winona", "Ezra",    "Greta",   "Jasper", "Ophelia", "Bruno",    "Lulu",
    "Barnaby", "Ingrid", "Cosmo",   "Dolores", "Felix",  "Hazel",   "Ignatius", "Pearl",
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *MONTHS[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* ---- helpers ---- */

static int fail(char *error, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *error, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error, size, fmt, ap);
    va_end(ap);
    return -1;
}

/* Roughly normal integer with standard deviation sd (Irwin-Hall of 4
 * uniforms; the sum of 4 U[0, 2^16) has sd 2^16 / sqrt(3) = 37837.2). */
static int32_t normal_int(Rng *rng, int32_t sd)
{
    int64_t sum = 0;
    for (int i = 0; i < 4; i++)
        sum += (int64_t)rng_below(rng, 1u << 16);
    sum -= 2 * (1 << 16);
    return (int32_t)(sum * sd / 37837);
}

static int32_t clamp_i32(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Index i with cum[i-1] <= x < cum[i] (cum: running totals, x < cum[n-1]). */
static size_t upper_bound(const uint64_t *cum, size_t n, uint64_t x)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cum[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static size_t draw_weighted(Rng *rng, const uint64_t *cum, size_t n)
{
    return upper_bound(cum, n, rng_below(rng, cum[n - 1]));
}

static size_t draw_u32_weights(Rng *rng, const uint32_t *weights, size_t n)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += weights[i];
    uint64_t x = rng_below(rng, total);
    for (size_t i = 0; i < n; i++) {
        if (x < weights[i])
            return i;
        x -= weights[i];
    }
    return n - 1;
}

/* ---- buffered file writer: a temporary file renamed into place ---- */
typedef struct {
    AtomicFile file;
    char *buf;
    size_t len, cap;
    bool failed;
    int error; /* errno of the write that failed */
    uint64_t bytes;
} Out;

enum { OUT_BUFFER = 1 << 20 };

static bool out_open(Out *o, const char *dir, const char *name)
{
    memset(o, 0, sizeof *o);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!atomic_file_open(&o->file, path))
        return false; /* o->file.path names it for the message */
    o->buf = malloc(OUT_BUFFER);
    o->cap = OUT_BUFFER;
    return o->buf != NULL;
}

static void out_flush(Out *o)
{
    if (o->len && !o->failed && fwrite(o->buf, 1, o->len, o->file.f) != o->len) {
        o->failed = true;
        o->error = errno;
    }
    o->bytes += o->len;
    o->len = 0;
}

/* Room for at least n more bytes. */
static inline void out_reserve(Out *o, size_t n)
{
    if (o->len + n > o->cap)
        out_flush(o);
}

static void out_str(Out *o, const char *s)
{
    size_t n = strlen(s);
    if (n > o->cap / 2) { /* never for what we write, but be correct */
        out_flush(o);
        if (!o->failed && fwrite(s, 1, n, o->file.f) != n) {
            o->failed = true;
            o->error = errno;
        }
        o->bytes += n;
        return;
    }
    out_reserve(o, n);
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void out_char(Out *o, char c)
{
    out_reserve(o, 1);
    o->buf[o->len++] = c;
}

static void out_u64(Out *o, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    out_reserve(o, (size_t)n);
    while (n)
        o->buf[o->len++] = tmp[--n];
}

static void out_fmt(Out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_fmt(Out *o, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    out_str(o, line);
}

/* Flushes, syncs and closes the temporary file, its rename to come
 * (atomic_file_commit_all); false on any error. */
static bool out_finish(Out *o)
{
    out_flush(o);
    if (o->failed) {
        atomic_file_discard(&o->file);
        errno = o->error ? o->error : EIO;
        return false;
    }
    return atomic_file_finish(&o->file);
}

/* Frees and removes the temporary file when it was not committed. */
static void out_discard(Out *o)
{
    atomic_file_discard(&o->file);
    free(o->buf);
    o->buf = NULL;
}

/* ---- the model of the panel ---- */
typedef struct {
    int16_t year;
    uint8_t month, day;
    uint32_t genres; /* bit g: GENRES[g] */
    int32_t quality; /* 1/64 star */
    uint32_t pop;    /* Zipf weight */
} Film;

typedef struct {
    uint32_t weight;              /* share of users */
    int8_t genre_score[N_GENRES]; /* -3..+3 */
    int32_t age_centre, age_sd;   /* years, in 1/16 year */
    uint32_t male_per_mille;
    uint32_t occ_weight[MAX_OCC];
    uint64_t state_cum[N_STATES];
} Segment;

typedef struct {
    SynthOptions o;
    size_t n_films, n_segments;
    Film *films;
    Segment *segments;
    uint64_t segment_cum[SYNTH_MAX_SEGMENTS];
    int8_t *affinity;     /* n_segments x n_films: choice affinity */
    int8_t *opinion;      /* n_segments x n_films: score shift, 1/64 star */
    uint64_t *choice_cum; /* n_segments x n_films: pop x taste factor, running */
    uint64_t *pop_cum;    /* n_films */
    uint32_t *counts;     /* ratings per user */
    uint16_t state_prefix[N_STATES][128];
    uint8_t state_prefixes[N_STATES];
    uint32_t *state_zip[N_STATES]; /* each state's codes in the ZIP list (none without) */
    uint32_t state_zips[N_STATES];
    const Occupation *occ;
    size_t n_occ;
} Model;

void synth_options_default(SynthOptions *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->n_users = 943;
    opts->n_films = 1682;
    opts->n_ratings = 100000;
    opts->n_segments = 5;
    opts->seed = 1;
    opts->format = SYNTH_ML100K;
    opts->separation = 100;
}

const char *synth_format_name(SynthFormat format)
{
    return format == SYNTH_ML1M ? "ml-1m" : "ml-100k";
}

uint64_t synth_max_user_ratings(const SynthOptions *opts)
{
    /* A heavy rater rates up to about 60% of the films (MovieLens 1M: 2,314
     * of 3,706); on tiny panels, every film. */
    uint64_t m = opts->n_films;
    return m <= 50 ? m : m * 3 / 5 < 50 ? 50 : m * 3 / 5;
}

int synth_options_check(const SynthOptions *o, char *error, size_t size)
{
    if (o->n_users < 1 || o->n_users > SYNTH_MAX_USERS)
        return fail(error, size, "users must be 1..%d", SYNTH_MAX_USERS);
    if (o->n_films < 1 || o->n_films > SYNTH_MAX_FILMS)
        return fail(error, size, "films must be 1..%d", SYNTH_MAX_FILMS);
    if (o->n_segments < 1 || o->n_segments > SYNTH_MAX_SEGMENTS)
        return fail(error, size, "segments must be 1..%d", SYNTH_MAX_SEGMENTS);
    if ((size_t)o->n_segments > o->n_users)
        return fail(error, size, "%d segments need at least as many users", o->n_segments);
    if (o->separation < 0 || o->separation > 400)
        return fail(error, size, "separation must be 0..400");
    if (o->format != SYNTH_ML100K && o->format != SYNTH_ML1M)
        return fail(error, size, "unknown format");
    uint64_t most = (uint64_t)o->n_users * synth_max_user_ratings(o);
    if (o->n_ratings < o->n_users || o->n_ratings > most)
        return fail(error, size,
                    "ratings must be %zu..%llu for %zu users and %zu films (every user rates at "
                    "least 1 and at most %llu films)",
                    o->n_users, (unsigned long long)most, o->n_users, o->n_films,
                    (unsigned long long)synth_max_user_ratings(o));
    return 0;
}

static void model_free(Model *m)
{
    free(m->films);
    free(m->segments);
    free(m->affinity);
    free(m->opinion);
    free(m->choice_cum);
    free(m->pop_cum);
    free(m->counts);
    for (size_t st = 0; st < N_STATES; st++)
        free(m->state_zip[st]);
}

/* Films: genres, release dates, quality, Zipf popularity over a shuffled
 * rank order. */
static bool make_films(Model *m)
{
    Rng rng;
    rng_seed_stream(&rng, m->o.seed, STREAM_FILMS);
    size_t n = m->n_films;
    uint32_t *rank = malloc(n * sizeof *rank);
    if (!rank)
        return false;
    for (size_t f = 0; f < n; f++)
        rank[f] = (uint32_t)f;
    rng_shuffle_u32(&rng, rank, n);
    int last_year = m->o.format == SYNTH_ML1M ? 2000 : 1998;
    for (size_t f = 0; f < n; f++) {
        Film *film = &m->films[f];
        film->genres = 1u << draw_u32_weights(&rng, GENRE_WEIGHT, N_GENRES);
        uint32_t extra = (uint32_t)rng_below(&rng, 100);
        int more = extra < 15 ? 2 : extra < 55 ? 1 : 0;
        for (int i = 0; i < more; i++)
            film->genres |= 1u << draw_u32_weights(&rng, GENRE_WEIGHT, N_GENRES);
        uint32_t era = (uint32_t)rng_below(&rng, 100);
        int year = era < 65   ? last_year - (int)rng_below(&rng, 14)
                   : era < 90 ? last_year - 14 - (int)rng_below(&rng, 25)
                              : 1930 + (int)rng_below(&rng, (uint64_t)(last_year - 1930 - 38));
        film->year = (int16_t)year;
        film->month = (uint8_t)rng_below(&rng, 12);
        film->day = (uint8_t)(1 + rng_below(&rng, 28));
        film->quality = normal_int(&rng, FILM_QUALITY_SD);
        film->pop = POP_SCALE / (rank[f] + POP_OFFSET);
    }
    free(rank);
    return true;
}

/* Segments: sizes, demographic mixes, genre tastes and signature films. */
static bool make_segments(Model *m)
{
    Rng rng;
    rng_seed_stream(&rng, m->o.seed, STREAM_SEGMENTS);
    size_t S = m->n_segments, M = m->n_films;
    /* Loved genres: walk a shuffled list of the 18 real genres, so that
     * segments love different genres until the list runs out. */
    uint32_t order[N_GENRES - 1];
    for (uint32_t g = 0; g < N_GENRES - 1; g++)
        order[g] = g + 1;
    rng_shuffle_u32(&rng, order, N_GENRES - 1);
    /* Age centres spread over adult life, shuffled across segments. */
    static const int32_t AGE_CENTRES[] = {20, 26, 31, 37, 44, 52, 24, 34, 48, 29};
    uint32_t age_order[COUNT(AGE_CENTRES)];
    for (uint32_t i = 0; i < COUNT(AGE_CENTRES); i++)
        age_order[i] = i;
    rng_shuffle_u32(&rng, age_order, COUNT(AGE_CENTRES));
    size_t loved_at = 0;
    uint64_t total = 0;
    for (size_t s = 0; s < S; s++) {
        Segment *seg = &m->segments[s];
        seg->weight = 100 + (uint32_t)rng_below(&rng, 151);
        total += seg->weight;
        m->segment_cum[s] = total;
        for (int i = 0; i < 2; i++) {
            seg->genre_score[order[loved_at % (N_GENRES - 1)]] = 3;
            loved_at++;
        }
        for (int i = 0; i < 5; i++) {
            uint32_t g = 1 + (uint32_t)rng_below(&rng, N_GENRES - 1);
            if (seg->genre_score[g] == 0)
                seg->genre_score[g] = (int8_t)(i < 2 ? 1 : -2);
        }
        int32_t centre = AGE_CENTRES[age_order[s % COUNT(AGE_CENTRES)]];
        seg->age_centre = (centre + (int32_t)rng_below(&rng, 5) - 2) * 16;
        seg->age_sd = (4 + (int32_t)rng_below(&rng, 6)) * 16;
        seg->male_per_mille = 300 + (uint32_t)rng_below(&rng, 551);
        for (size_t k = 0; k < m->n_occ; k++)
            seg->occ_weight[k] = m->occ[k].weight;
        for (int i = 0; i < 3; i++)
            seg->occ_weight[rng_below(&rng, m->n_occ)] *= 5;
        uint32_t division_boost[N_DIVISIONS];
        for (int d = 0; d < N_DIVISIONS; d++)
            division_boost[d] = 1;
        for (int i = 0; i < 2; i++)
            division_boost[rng_below(&rng, N_DIVISIONS)] = 3;
        uint64_t cum = 0;
        for (size_t st = 0; st < N_STATES; st++) {
            uint64_t w =
                (uint64_t)STATE_POP[st].population * division_boost[STATE_POP[st].division];
            if (strcmp(STATE_POP[st].code, "AK") == 0 || strcmp(STATE_POP[st].code, "HI") == 0)
                w /= RARE_STATE_DIVISOR;
            if (m->state_prefixes[st] == 0)
                w = 0; /* no prefix in the table: cannot be written */
            cum += w;
            seg->state_cum[st] = cum;
        }
    }
    /* Affinity of every segment for every film: its genres, a signature
     * bonus, a little jitter. */
    for (size_t s = 0; s < S; s++)
        for (size_t f = 0; f < M; f++) {
            int32_t a = 0;
            for (int g = 0; g < N_GENRES; g++)
                if (m->films[f].genres & (1u << g))
                    a += m->segments[s].genre_score[g];
            a = clamp_i32(a, -4, 4);
            int32_t opinion = a * OPINION_GENRE + normal_int(&rng, OPINION_SD);
            if (rng_below(&rng, 1000) < SIGNATURE_PER_MILLE)
                opinion += OPINION_SIGNATURE;
            /* people mostly watch what they expect to like */
            a = opinion >= 0 ? (opinion + OPINION_PER_UNIT / 2) / OPINION_PER_UNIT
                             : -((-opinion + OPINION_PER_UNIT / 2) / OPINION_PER_UNIT);
            m->affinity[s * M + f] = (int8_t)clamp_i32(a, AFF_MIN, AFF_MAX);
            m->opinion[s * M + f] = (int8_t)clamp_i32(opinion * m->o.separation / 100, -127, 127);
        }
    /* Choice weights: popularity x (1 + gain)^affinity, in fixed point. */
    uint64_t factor[AFF_MAX - AFF_MIN + 1];
    uint64_t r = 65536 + (uint64_t)TASTE_GAIN_Q16 * (uint64_t)m->o.separation / 100;
    uint64_t x = 65536; /* Q16 */
    factor[-AFF_MIN] = x;
    for (int a = 1; a <= AFF_MAX; a++) {
        x = x * r >> 16;
        factor[a - AFF_MIN] = x > FACTOR_MAX ? FACTOR_MAX : x;
    }
    x = 65536;
    for (int a = -1; a >= AFF_MIN; a--) {
        x = (x << 16) / r;
        factor[a - AFF_MIN] = x;
    }
    for (int a = AFF_MIN; a <= AFF_MAX; a++) /* Q16 -> Q8, never 0 */
        factor[a - AFF_MIN] = factor[a - AFF_MIN] >> 8 ? factor[a - AFF_MIN] >> 8 : 1;
    for (size_t s = 0; s < S; s++) {
        uint64_t cum = 0;
        for (size_t f = 0; f < M; f++) {
            cum += (uint64_t)m->films[f].pop * factor[m->affinity[s * M + f] - AFF_MIN];
            m->choice_cum[s * M + f] = cum;
        }
    }
    uint64_t cum = 0;
    for (size_t f = 0; f < M; f++) {
        cum += m->films[f].pop;
        m->pop_cum[f] = cum;
    }
    return true;
}

/* Ratings per user: a heavy-tailed activity (doubling with probability
 * ACTIVITY_CONTINUE %), at least MIN_USER_RATINGS, at most the cap, summing
 * to exactly n_ratings. */
static bool make_counts(Model *m, uint32_t *min_out, uint32_t *max_out)
{
    size_t N = m->o.n_users;
    uint64_t R = m->o.n_ratings, cap = synth_max_user_ratings(&m->o);
    uint64_t floor_count = R / N < MIN_USER_RATINGS ? R / N : MIN_USER_RATINGS;
    if (floor_count > cap)
        floor_count = cap;
    uint32_t *w = malloc(N * sizeof *w);
    if (!w)
        return false;
    Rng rng;
    rng_seed_stream(&rng, m->o.seed, STREAM_ACTIVITY);
    for (size_t u = 0; u < N; u++) {
        int g = 0;
        while (g < ACTIVITY_MAX_DOUBLINGS && rng_below(&rng, 100) < ACTIVITY_CONTINUE)
            g++;
        w[u] = ((1024u + (uint32_t)rng_below(&rng, 1024)) << g) - 1023u; /* >= 1 */
        m->counts[u] = (uint32_t)floor_count;
    }
    /* Water-filling: share what is left in proportion to w among the users
     * below the cap; users that reach the cap leave the next round. */
    uint64_t left = R - floor_count * N;
    for (int round = 0; round < 32 && left > 0; round++) {
        unsigned __int128 total = 0;
        for (size_t u = 0; u < N; u++)
            if (m->counts[u] < cap)
                total += w[u];
        if (total == 0)
            break;
        uint64_t given = 0;
        for (size_t u = 0; u < N; u++) {
            if (m->counts[u] >= cap)
                continue;
            uint64_t share = (uint64_t)((unsigned __int128)left * w[u] / total);
            if (share > cap - m->counts[u])
                share = cap - m->counts[u];
            m->counts[u] += (uint32_t)share;
            given += share;
        }
        left -= given;
        if (given == 0)
            break;
    }
    /* What rounding left: one more each, heaviest users first in id order. */
    while (left > 0) {
        uint64_t before = left;
        for (size_t u = 0; u < N && left > 0; u++)
            if (m->counts[u] < cap && w[u] >= 1024) {
                m->counts[u]++;
                left--;
            }
        for (size_t u = 0; u < N && left > 0 && left == before; u++)
            if (m->counts[u] < cap) {
                m->counts[u]++;
                left--;
            }
        if (left == before) {
            free(w);
            return false; /* cannot happen: synth_options_check bounds R */
        }
    }
    free(w);
    uint32_t lo = UINT32_MAX, hi = 0;
    for (size_t u = 0; u < N; u++) {
        lo = m->counts[u] < lo ? m->counts[u] : lo;
        hi = m->counts[u] > hi ? m->counts[u] : hi;
    }
    *min_out = lo;
    *max_out = hi;
    return true;
}

/* Prefixes of every state in the built-in ZIP-prefix table. */
static void collect_prefixes(Model *m)
{
    ZipMap map;
    zipmap_builtin(&map);
    for (size_t st = 0; st < N_STATES; st++) {
        int index = state_find(STATE_POP[st].code, 2);
        for (int p = 0; p < 1000 && m->state_prefixes[st] < 128; p++)
            if (index != STATE_UNKNOWN && map.by_prefix[p] == index)
                m->state_prefix[st][m->state_prefixes[st]++] = (uint16_t)p;
    }
    zipmap_free(&map);
}

/* Each state's codes in the ZIP list (when one is given). */
static bool collect_zips(Model *m, const ZipMap *zips)
{
    if (!zips || !zips->exact)
        return true;
    int slot_of[256];
    for (int i = 0; i < 256; i++)
        slot_of[i] = -1;
    for (size_t st = 0; st < N_STATES; st++) {
        int index = state_find(STATE_POP[st].code, 2);
        if (index != STATE_UNKNOWN && index >= 0 && index < 256)
            slot_of[index] = (int)st;
    }
    for (int pass = 0; pass < 2; pass++) { /* count, then fill */
        for (uint32_t z = 0; z < 100000; z++) {
            int st = slot_of[zips->by_zip[z]]; /* -1: no state, or not one drawn */
            if (st < 0)
                continue;
            if (pass == 0)
                m->state_zips[st]++;
            else
                m->state_zip[st][m->state_zips[st]++] = z;
        }
        if (pass == 0)
            for (size_t st = 0; st < N_STATES; st++) {
                if (m->state_zips[st] &&
                    !(m->state_zip[st] = malloc(m->state_zips[st] * sizeof *m->state_zip[st])))
                    return false;
                m->state_zips[st] = 0;
            }
    }
    return true;
}

/* ---- writing ---- */

static void write_title(Out *o, Rng *rng, int year)
{
    const char *a = ADJECTIVES[rng_below(rng, COUNT(ADJECTIVES))];
    const char *n = NOUNS[rng_below(rng, COUNT(NOUNS))];
    const char *n2 = NOUNS[rng_below(rng, COUNT(NOUNS))];
    const char *p = PLACES[rng_below(rng, COUNT(PLACES))];
    const char *who = NAMES[rng_below(rng, COUNT(NAMES))];
    switch (rng_below(rng, 9)) {
    case 0:
    case 1: out_fmt(o, "The %s %s", a, n); break;
    case 2: out_fmt(o, "%s %s", a, n); break;
    case 3: out_fmt(o, "The %s of %s", n, p); break;
    case 4: out_fmt(o, "%s and the %s %s", who, a, n); break;
    case 5: out_fmt(o, "The %s's %s", n, n2); break;
    case 6: out_fmt(o, "%s %s in %s", strchr("AEIOU", n[0]) ? "An" : "A", n, p); break;
    case 7: out_fmt(o, "%s's %s", who, n); break;
    default: out_fmt(o, "The %s %s %s", a, n, rng_below(rng, 3) ? "II" : "Returns"); break;
    }
    out_fmt(o, " (%d)", year);
}

static void write_films(Model *m, Out *items)
{
    Rng rng;
    rng_seed_stream(&rng, m->o.seed, STREAM_FILMS + 100);
    for (size_t f = 0; f < m->n_films; f++) {
        const Film *film = &m->films[f];
        out_u64(items, f + 1);
        if (m->o.format == SYNTH_ML100K) {
            out_char(items, '|');
            write_title(items, &rng, film->year);
            out_fmt(items, "|%02d-%s-%d||http://example.invalid/film/%zu", film->day,
                    MONTHS[film->month], film->year, f + 1);
            for (int g = 0; g < N_GENRES; g++)
                out_str(items, film->genres & (1u << g) ? "|1" : "|0");
        } else {
            out_str(items, "::");
            write_title(items, &rng, film->year);
            out_str(items, "::");
            bool first = true;
            for (int g = 1; g < N_GENRES; g++)
                if (film->genres & (1u << g)) {
                    if (!first)
                        out_char(items, '|');
                    out_str(items, GENRES[g]);
                    first = false;
                }
        }
        out_char(items, '\n');
    }
}

static int age_code_1m(int age)
{
    return age < 18   ? 1
           : age < 25 ? 18
           : age < 35 ? 25
           : age < 45 ? 35
           : age < 50 ? 45
           : age < 56 ? 50
                      : 56;
}

typedef struct {
    Out users, ratings, truth;
    uint32_t *stamp; /* n_films: user index + 1 that last took the film */
} Writers;

/* One user: demographics, then the films and their scores. */
static void write_user(Model *m, Writers *w, size_t u, SynthSummary *sum)
{
    Rng rng;
    rng_seed_stream(&rng, m->o.seed, STREAM_USER_BASE + u);
    size_t S = m->n_segments, M = m->n_films;
    size_t s = upper_bound(m->segment_cum, S, rng_below(&rng, m->segment_cum[S - 1]));
    const Segment *seg = &m->segments[s];
    sum->users_by_segment[s]++;

    char gender = rng_below(&rng, 1000) < seg->male_per_mille ? 'M' : 'F';
    int age = clamp_i32((seg->age_centre + normal_int(&rng, seg->age_sd) + 8) / 16, 10, 73);
    size_t occ;
    uint32_t roll = (uint32_t)rng_below(&rng, 100);
    bool ml1m = m->o.format == SYNTH_ML1M;
    if (age < 18 && roll < 90)
        occ = ml1m ? OCC_1M_K12 : OCC_100K_STUDENT;
    else if (age >= 65 && roll < 70)
        occ = ml1m ? OCC_1M_RETIRED : OCC_100K_RETIRED;
    else {
        occ = draw_u32_weights(&rng, seg->occ_weight, m->n_occ);
        if (ml1m && occ == OCC_1M_K12 && age >= 18)
            occ = OCC_1M_COLLEGE;
        if (ml1m && occ == OCC_1M_COLLEGE && age < 18)
            occ = OCC_1M_K12;
    }
    size_t st = draw_weighted(&rng, seg->state_cum, N_STATES);
    uint64_t prefix_draw = rng_below(&rng, m->state_prefixes[st]), code_draw = rng_below(&rng, 99);
    unsigned zip = (unsigned)m->state_prefix[st][prefix_draw] * 100u + 1u + (unsigned)code_draw;
    if (m->state_zips[st]) /* the same draws, so the panel is the same but for the codes */
        zip = m->state_zip[st][(prefix_draw * 99 + code_draw) % m->state_zips[st]];
    else if (m->o.zips)
        sum->users_zip_unlisted++;

    int32_t user_bias = normal_int(&rng, USER_BIAS_SD);
    uint32_t t0 = ml1m ? 956703932u : 874724710u;
    uint32_t start = t0 + (uint32_t)rng_below(&rng, 200u * 86400u);
    uint32_t window =
        3600u + (uint32_t)rng_below(&rng, 1u + (rng_below(&rng, 4) ? 3u : 60u) * 86400u);

    Out *uo = &w->users;
    out_u64(uo, u + 1);
    char zip_text[8];
    snprintf(zip_text, sizeof zip_text, "%05u", zip);
    if (ml1m) {
        out_str(uo, gender == 'M' ? "::M::" : "::F::");
        out_u64(uo, (uint64_t)age_code_1m(age));
        out_str(uo, "::");
        out_u64(uo, (uint64_t)m->occ[occ].code);
        out_str(uo, "::");
    } else {
        out_char(uo, '|');
        out_u64(uo, (uint64_t)age);
        out_str(uo, gender == 'M' ? "|M|" : "|F|");
        out_str(uo, m->occ[occ].label);
        out_char(uo, '|');
    }
    out_str(uo, zip_text);
    out_char(uo, '\n');
    out_u64(&w->truth, u + 1);
    out_char(&w->truth, ',');
    out_u64(&w->truth, s);
    out_char(&w->truth, '\n');

    /* Films: popularity alone, another segment's taste (a different one each
     * time, so that overlap makes no sub-segments), or the user's own;
     * distinct by rejection, then (rarely, for the heaviest users) by a scan. */
    uint32_t n = m->counts[u], mark = (uint32_t)u + 1, taken = 0;
    uint64_t attempts = 0, budget = 8ull * n + 64;
    const uint64_t *own = m->choice_cum + s * M;
    const int8_t *opinion = m->opinion + s * M;
    size_t scan = (size_t)rng_below(&rng, M);
    Out *ro = &w->ratings;
    while (taken < n) {
        size_t f;
        if (attempts < budget) {
            attempts++;
            uint32_t which = (uint32_t)rng_below(&rng, 100);
            const uint64_t *cum = own;
            if (which < CHOICE_POPULAR)
                cum = m->pop_cum;
            else if (which < CHOICE_POPULAR + CHOICE_OTHER && S > 1)
                cum = m->choice_cum + (s + 1 + rng_below(&rng, S - 1)) % S * M;
            f = draw_weighted(&rng, cum, M);
            if (w->stamp[f] == mark)
                continue;
        } else {
            while (w->stamp[scan] == mark)
                scan = scan + 1 == M ? 0 : scan + 1;
            f = scan;
        }
        w->stamp[f] = mark;
        taken++;
        int32_t v = SCORE_BASE + m->films[f].quality + user_bias + opinion[f] +
                    normal_int(&rng, SCORE_NOISE_SD);
        int score = v < SCORE_CUT_1   ? 1
                    : v < SCORE_CUT_2 ? 2
                    : v < SCORE_CUT_3 ? 3
                    : v < SCORE_CUT_4 ? 4
                                      : 5;
        sum->ratings_by_score[score]++;
        uint32_t when = start + (uint32_t)rng_below(&rng, window);
        out_reserve(ro, 64);
        out_u64(ro, u + 1);
        out_str(ro, ml1m ? "::" : "\t");
        out_u64(ro, f + 1);
        out_str(ro, ml1m ? "::" : "\t");
        out_char(ro, (char)('0' + score));
        out_str(ro, ml1m ? "::" : "\t");
        out_u64(ro, when);
        out_char(ro, '\n');
    }
    sum->n_ratings += n;
}

int synth_check_dir(const char *dir, SynthFormat format, char *error, size_t size)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return 0; /* made when written */
    if (!S_ISDIR(st.st_mode)) {
        fail(error, size, "%s: not a folder", dir);
        return -1;
    }
    PanelFormat mine = format == SYNTH_ML1M ? PANEL_ML1M : PANEL_ML100K;
    unsigned held = panel_dir_formats(dir);
    char truth[4096];
    snprintf(truth, sizeof truth, "%s/truth.csv", dir);
    if (held & ~(1u << mine)) {
        fail(error, size, "%s holds a %s panel: write the %s panel into a folder without one", dir,
             panel_format_name(held & (1u << PANEL_ML100K) ? PANEL_ML100K
                               : held & (1u << PANEL_ML1M) ? PANEL_ML1M
                                                           : PANEL_MLCSV),
             synth_format_name(format));
        return -1;
    }
    if (held && stat(truth, &st) != 0) {
        fail(error, size,
             "%s holds a panel that filmseg synth did not write (it has no truth.csv): write "
             "into a folder without one",
             dir);
        return -1;
    }
    return 0;
}

/* The folder to write into, checked (synth_check_dir) and made when
 * missing (*made: by this call). */
static bool ensure_dir(const char *dir, SynthFormat format, bool *made, char *error, size_t size)
{
    *made = false;
    if (synth_check_dir(dir, format, error, size) != 0)
        return false;
    if (mkdir(dir, 0777) == 0)
        *made = true;
    else if (errno != EEXIST) {
        fail(error, size, "%s: cannot create the folder: %s", dir,
             atomic_file_strerror(dir, errno));
        return false;
    }
    return true;
}

int synth_write(const SynthOptions *opts, const char *dir, SynthSummary *summary, char *error,
                size_t error_size)
{
    SynthSummary local = {0};
    SynthSummary *sum = summary ? summary : &local;
    memset(sum, 0, sizeof *sum);
    if (synth_options_check(opts, error, error_size) != 0)
        return -1;
    bool made_dir;
    if (!ensure_dir(dir, opts->format, &made_dir, error, error_size))
        return -1;
    Model m;
    memset(&m, 0, sizeof m);
    m.o = *opts;
    m.n_films = opts->n_films;
    m.n_segments = (size_t)opts->n_segments;
    m.occ = opts->format == SYNTH_ML1M ? OCC_1M : OCC_100K;
    m.n_occ = opts->format == SYNTH_ML1M ? OCC_1M_N : OCC_100K_N;
    m.films = calloc(m.n_films, sizeof *m.films);
    m.segments = calloc(m.n_segments, sizeof *m.segments);
    m.affinity = malloc(m.n_segments * m.n_films * sizeof *m.affinity);
    m.opinion = malloc(m.n_segments * m.n_films * sizeof *m.opinion);
    m.choice_cum = malloc(m.n_segments * m.n_films * sizeof *m.choice_cum);
    m.pop_cum = malloc(m.n_films * sizeof *m.pop_cum);
    m.counts = malloc(opts->n_users * sizeof *m.counts);
    Writers w;
    memset(&w, 0, sizeof w);
    w.stamp = calloc(m.n_films, sizeof *w.stamp);
    int rc = -1;
    if (!m.films || !m.segments || !m.affinity || !m.opinion || !m.choice_cum || !m.pop_cum ||
        !m.counts || !w.stamp) {
        fail(error, error_size, "out of memory");
        goto done;
    }
    collect_prefixes(&m);
    if (!collect_zips(&m, opts->zips) || !make_films(&m) || !make_segments(&m) ||
        !make_counts(&m, &sum->min_user_ratings, &sum->max_user_ratings)) {
        fail(error, error_size, "out of memory");
        goto done;
    }
    bool ml1m = opts->format == SYNTH_ML1M;
    Out items, genres;
    memset(&items, 0, sizeof items);
    memset(&genres, 0, sizeof genres);
    const char *bad = NULL;
    if (!out_open(&items, dir, ml1m ? "movies.dat" : "u.item"))
        bad = items.file.path;
    else if (!ml1m && !out_open(&genres, dir, "u.genre"))
        bad = genres.file.path;
    else if (!out_open(&w.users, dir, ml1m ? "users.dat" : "u.user"))
        bad = w.users.file.path;
    else if (!out_open(&w.ratings, dir, ml1m ? "ratings.dat" : "u.data"))
        bad = w.ratings.file.path;
    else if (!out_open(&w.truth, dir, "truth.csv"))
        bad = w.truth.file.path;
    if (!bad) {
        write_films(&m, &items);
        if (!ml1m)
            for (int g = 0; g < N_GENRES; g++)
                out_fmt(&genres, "%s|%d\n", GENRES[g], g);
        out_str(&w.truth, "user_id,segment\n");
        for (size_t u = 0; u < opts->n_users; u++)
            write_user(&m, &w, u, sum);
        /* All or none: every file written and synced before any is renamed
         * (a full disk left the ratings old beside new users and truth); the
         * ratings renamed last, as a folder without them is not a panel. */
        Out *order[5] = {&items, ml1m ? NULL : &genres, &w.users, &w.truth, &w.ratings};
        AtomicFile *finished[5];
        size_t n_finished = 0;
        for (int i = 0; i < 5 && !bad; i++) {
            if (!order[i])
                continue;
            uint64_t bytes = order[i]->bytes + order[i]->len;
            if (!out_finish(order[i]))
                bad = order[i]->file.path;
            else
                finished[n_finished++] = &order[i]->file;
            sum->bytes_written += bytes;
        }
        size_t committed = bad ? n_finished : atomic_file_commit_all(finished, n_finished);
        if (committed < n_finished)
            bad = finished[committed]->path;
    }
    if (bad)
        fail(error, error_size, "%s: cannot write: %s", bad,
             atomic_file_strerror(bad, errno ? errno : EIO));
    else
        rc = 0;
    out_discard(&items);
    out_discard(&genres);
    out_discard(&w.users);
    out_discard(&w.ratings);
    out_discard(&w.truth);
    sum->n_users = opts->n_users;
    sum->n_films = opts->n_films;
done:
    free(w.stamp);
    model_free(&m);
    if (rc != 0 && made_dir)
        rmdir(dir); /* the folder this run made, left empty */
    return rc;
}
