/* report.c: the audience report; see report.h. */
#include "filmseg/report.h"

#include "filmseg/association.h"
#include "filmseg/heatmap.h"
#include "filmseg/states.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The name of a format's users file, or (films) its films file. */
static const char *file_name(PanelFormat format, bool films)
{
    switch (format) {
    case PANEL_ML100K: return films ? "u.item" : "u.user";
    case PANEL_ML1M: return films ? "movies.dat" : "users.dat";
    case PANEL_MLCSV: return films ? "movies.csv" : "ratings.csv";
    }
    return "the panel";
}

static void heading(OutputFormat format, FILE *out, const char *title)
{
    if (format == FORMAT_MARKDOWN)
        fprintf(out, "\n## %s\n\n", title);
    else
        fprintf(out, "\n%s\n\n", title);
}

static double percent(size_t part, size_t whole)
{
    return whole ? 100.0 * part / whole : 0.0;
}

/* "65 / 4 / 2" with its label "dropped: no state / Alaska / Hawaii". */
static void dropped_row(const Panel *panel, Table *t)
{
    const SampleSummary *s = &panel->sample;
    char label[512] = "dropped:", values[256] = "";
    int parts = 0;
    if (s->dropped_unknown_rule) {
        strcat(label, " no state");
        snprintf(values, sizeof values, "%zu", s->dropped_by_state[0]);
        parts++;
    }
    for (int i = 0; i < s->n_rule_states; i++) {
        int st = s->rule_states[i];
        size_t len = strlen(label), vlen = strlen(values);
        snprintf(label + len, sizeof label - len, "%s%s", parts ? " / " : " ",
                 state_info(st)->name);
        snprintf(values + vlen, sizeof values - vlen, "%s%zu", parts ? " / " : "",
                 s->dropped_by_state[st]);
        parts++;
    }
    if (parts)
        table_row(t, "%s\t%s", label, values);
    else
        table_row(t, "dropped\tnone (no sample rules)");
}

static void figures_table(const Panel *panel, const Profile *p, Table *t)
{
    const SampleSummary *s = &panel->sample;
    char a[32], b[32], c[32], d[32], e[32], f[32];
    static const char *const headers[] = {"figure", "value"};
    table_init(t, 2, headers);
    /* counts in thousands as the ratings' are (162,541 users, not 162541) */
    table_row(t, "users in %s\t%s", file_name(panel->format, false),
              format_thousands(s->users_read, a, sizeof a));
    table_row(t, "users kept\t%s", format_thousands(p->n_users, a, sizeof a));
    if (panel->has_demographics)
        dropped_row(panel, t);
    if (!p->has_demographics) {
        table_row(t, "demographics\tnot in this panel (taste-only: %s has no user file)",
                  panel_format_name(panel->format));
    } else {
        table_row(t, "male / female\t%s / %s (%.1f%% male)",
                  format_thousands(p->n_male, a, sizeof a),
                  format_thousands(p->n_female, b, sizeof b), percent(p->n_male, p->n_users));
        if (p->ages_banded)
            table_row(t, "age\tknown only as bands (see the age table)");
        else
            table_row(t, "age mean / median / min / max\t%.2f / %g / %d / %d", p->age_mean,
                      p->age_median, p->age_min, p->age_max);
        size_t distinct = 0;
        for (size_t i = 0; i < p->n_states; i++)
            distinct += p->states[i].index != 0;
        table_row(t, "distinct states\t%zu", distinct);
    }
    table_row(t, "ratings kept\t%s (1★ %s · 2★ %s · 3★ %s · 4★ %s · 5★ %s)",
              format_thousands(p->n_ratings, a, sizeof a),
              format_thousands(p->ratings_by_score[1], b, sizeof b),
              format_thousands(p->ratings_by_score[2], c, sizeof c),
              format_thousands(p->ratings_by_score[3], d, sizeof d),
              format_thousands(p->ratings_by_score[4], e, sizeof e),
              format_thousands(p->ratings_by_score[5], f, sizeof f));
    table_row(t, "films rated\t%s of the %s in %s",
              format_thousands(panel_films_rated(panel), a, sizeof a),
              format_thousands(panel->n_films, b, sizeof b), file_name(panel->format, true));
    if (s->ratings_half_star)
        table_row(t, "half-star ratings\t%s (as the star above in the counts by star)",
                  format_thousands(s->ratings_half_star, a, sizeof a));
    if (!p->has_demographics)
        return;
    char list[1024] = "";
    for (size_t i = 0; i < p->n_occupations && i < 6; i++) {
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s%s %s", i ? ", " : "",
                 panel->occupations[p->occupations[i].index],
                 format_thousands(p->occupations[i].count, a, sizeof a));
    }
    table_row(t, "top occupations\t%s", list);
    list[0] = '\0';
    for (size_t i = 0, shown = 0; i < p->n_states && shown < 5; i++) {
        if (p->states[i].index == 0)
            continue;
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s%s %s", shown++ ? ", " : "",
                 state_info(p->states[i].index)->name,
                 format_thousands(p->states[i].count, a, sizeof a));
    }
    table_row(t, "top states\t%s", list);
}

void report_top_films_table(const Panel *panel, const Profile *profile, Table *t)
{
    static const char *const headers[] = {"n_5",     "title_5", "n_4",     "title_4", "n_3",
                                          "title_3", "n_2",     "title_2", "n_1",     "title_1"};
    table_init(t, 10, headers);
    for (int c = 0; c < 10; c += 2)
        t->right_align[c] = true;
    for (size_t rank = 0; rank < PROFILE_TOP_N; rank++) {
        char row[2048] = "";
        bool any = false;
        for (int score = 5; score >= 1; score--) {
            size_t len = strlen(row);
            const char *sep = score > 1 ? "\t" : "";
            if (rank < profile->n_top[score]) {
                const FilmCount *fc = &profile->top[score][rank];
                snprintf(row + len, sizeof row - len, "%zu\t%s%s", fc->count,
                         panel->films[fc->film].title, sep);
                any = true;
            } else {
                snprintf(row + len, sizeof row - len, "\t%s", sep);
            }
        }
        if (any)
            table_row(t, "%s", row);
    }
}

static bool demographic_tables(const Panel *panel, const Profile *p, OutputFormat format, FILE *out)
{
    bool ok = true;
    Table t;
    static const char *const age_headers[] = {"age", "users", "share"};
    heading(format, out, "Age");
    table_init(&t, 3, age_headers);
    t.right_align[1] = t.right_align[2] = true;
    for (int band = 0; band < AGE_BAND_COUNT; band++)
        table_row(&t, "%s\t%zu\t%.1f%%", age_band_label(band), p->age_bands[band],
                  percent(p->age_bands[band], p->n_users));
    ok &= table_print(&t, format, out);
    table_free(&t);

    static const char *const occ_headers[] = {"occupation", "users", "share"};
    heading(format, out, "Occupations");
    table_init(&t, 3, occ_headers);
    t.right_align[1] = t.right_align[2] = true;
    for (size_t i = 0; i < p->n_occupations; i++)
        table_row(&t, "%s\t%zu\t%.1f%%", panel->occupations[p->occupations[i].index],
                  p->occupations[i].count, percent(p->occupations[i].count, p->n_users));
    ok &= table_print(&t, format, out);
    table_free(&t);

    static const char *const state_headers[] = {"state", "code", "users", "share"};
    heading(format, out, "States");
    table_init(&t, 4, state_headers);
    t.right_align[2] = t.right_align[3] = true;
    for (size_t i = 0; i < p->n_states; i++) {
        const StateInfo *st = state_info(p->states[i].index);
        table_row(&t, "%s\t%s\t%zu\t%.1f%%", st->name, st->code, p->states[i].count,
                  percent(p->states[i].count, p->n_users));
    }
    ok &= table_print(&t, format, out);
    table_free(&t);
    return ok;
}

bool report_print(const Panel *panel, const Profile *profile, OutputFormat format, FILE *out)
{
    bool ok = true;
    const SampleSummary *s = &panel->sample;
    if (format == FORMAT_MARKDOWN)
        fprintf(out, "# filmseg report\n\n");
    else
        fprintf(out, "filmseg report\n\n");
    fprintf(out, "Panel: %s, %s.\n", panel->source, panel_format_name(panel->format));
    if (panel->has_demographics) {
        char rules[512] = "";
        if (s->dropped_unknown_rule)
            strcat(rules, "of unknown state");
        for (int i = 0; i < s->n_rule_states; i++) {
            size_t len = strlen(rules);
            snprintf(rules + len, sizeof rules - len, "%sin %s", len ? ", " : "",
                     state_info(s->rule_states[i])->name);
        }
        fprintf(out, "States: %s.\n", panel->zip_source);
        char dropped[32], read[32], ratings[32];
        fprintf(out, "Sample rules: %s%s; %s of %s users dropped with their %s ratings.\n",
                rules[0] ? "drop users " : "none", rules,
                format_thousands(s->users_dropped, dropped, sizeof dropped),
                format_thousands(s->users_read, read, sizeof read),
                format_thousands(s->ratings_dropped, ratings, sizeof ratings));
    } else {
        fprintf(out, "Taste-only panel: no demographics, so no sample rules apply and the "
                     "demographic tables are left out.\n");
    }

    Table t;
    heading(format, out, "Figures");
    figures_table(panel, profile, &t);
    ok &= table_print(&t, format, out);
    table_free(&t);

    heading(format, out, "Top 10 films per score (count descending, ties by film id)");
    report_top_films_table(panel, profile, &t);
    ok &= table_print(&t, format, out);
    table_free(&t);

    if (profile->has_demographics)
        ok &= demographic_tables(panel, profile, format, out);

    static const char *const rating_headers[] = {"rating", "ratings", "share"};
    heading(format, out, "Ratings");
    table_init(&t, 3, rating_headers);
    t.right_align[1] = t.right_align[2] = true;
    char buf[32];
    for (int score = 5; score >= 1; score--)
        table_row(&t, "%d★\t%s\t%.1f%%", score,
                  format_thousands(profile->ratings_by_score[score], buf, sizeof buf),
                  percent(profile->ratings_by_score[score], profile->n_ratings));
    ok &= table_print(&t, format, out);
    table_free(&t);
    char ratings[32], users[32];
    fprintf(out, "\nMean rating %.2f over the %s ratings of %s users.\n", profile->rating_mean,
            format_thousands(profile->n_ratings, ratings, sizeof ratings),
            format_thousands(profile->n_users, users, sizeof users));
    return ok;
}

/* ---- models ---- */

static const char *loss_name(AeLoss loss)
{
    return loss == AE_LOSS_STUDY ? "study" : "rated";
}

bool report_training(const Segmentation *seg, int k_shown, const Panel *panel, OutputFormat format,
                     FILE *out)
{
    bool ok = true;
    const PipelineOptions *o = &seg->options;
    const AeReport *ar = &seg->ae_report;
    heading(format, out, "Autoencoder");
    fprintf(out,
            "Loss %s, %d hidden units, %d epoch%s, batch %d, seed %llu; %zu users x %zu films.\n",
            loss_name(o->ae.loss), o->ae.hidden, ar->epochs_run, ar->epochs_run == 1 ? "" : "s",
            o->ae.batch, (unsigned long long)o->seed, seg->n_users, seg->n_films);
    if (o->ae.loss == AE_LOSS_RATED) { /* the rest of its settings, as the model file has them */
        if (o->ae.implicit_weight > 0)
            fprintf(out, "Likes head at weight %g, %g sampled unrated film%s per rating; ",
                    o->ae.implicit_weight, o->ae.implicit_negatives,
                    o->ae.implicit_negatives == 1 ? "" : "s");
        else
            fprintf(out, "No likes head (its weight 0); ");
        if (o->ae.unrated_share > 0)
            fprintf(out, "unrated films sampled %g per rated film at weight %g; ",
                    o->ae.unrated_share, o->ae.unrated_weight);
        else
            fprintf(out, "no unrated films in the ratings' loss; ");
        fprintf(out, "input dropout %g, weight decay %g%s.\n", o->ae.input_dropout,
                o->ae.weight_decay,
                seg->settings_unrecorded
                    ? " (a model file before version 8 does not record these: the defaults are "
                      "shown, which its training may not have used)"
                    : "");
    }
    if (ar->epochs_run > 0)
        fprintf(out, "Last epoch: training loss %.4f, validation loss %.4f.\n",
                ar->train_loss[ar->epochs_run - 1], ar->val_loss[ar->epochs_run - 1]);
    if (isfinite(ar->val_mae_cells)) /* computed for the study's loss only */
        fprintf(out, "Validation MAE over every cell (the study's figure): %.4f.\n",
                ar->val_mae_cells);
    fprintf(out,
            "Held-out ratings of validation users: error %.3f stars, film-mean baseline %.3f "
            "stars%s.\n",
            ar->heldout_mae_stars, ar->heldout_baseline_stars,
            o->ae.loss == AE_LOSS_STUDY
                ? " (the study's loss is an error over every cell, most of them unrated zeros, "
                  "so its outputs sit near 0, far from any rating: it is kept as the "
                  "reproducible baseline, not to predict ratings)"
                : "");

    heading(format, out, "Features");
    if (!seg->demo.has_demographics)
        fprintf(out, "%s embeddings; no demographics (the panel has none).\n",
                o->features.norm == EMBED_NORM_L1 ? "L1" : "L2");
    else if (o->features.demo_weight < 0)
        fprintf(out, "%s embeddings joined with unscaled demographics (the study's join).\n",
                o->features.norm == EMBED_NORM_L1 ? "L1" : "L2");
    else
        fprintf(out, "%s embeddings joined with demographics at weight %g.\n",
                o->features.norm == EMBED_NORM_L1 ? "L1" : "L2", o->features.demo_weight);
    /* without times every rating weighs alike: both halves are the whole
     * history (recency_weights) */
    bool later_weighed = o->features.recency > 0 && panel_has_rating_times(panel);
    if (later_weighed)
        fprintf(out,
                "Taste: half each user's whole history, half their later ratings (recency %g: "
                "the first rating counts %.2g of the last).\n",
                o->features.recency, exp(-o->features.recency));
    else if (o->features.recency > 0)
        fprintf(out,
                "Taste: each user's whole history (recency %g has nothing to weigh: the panel's "
                "ratings have no times).\n",
                o->features.recency);
    else
        fprintf(out, "Taste: each user's whole history, every rating alike (recency 0).\n");
    const FeatureScaling *sc = &seg->scaling;
    if (sc->genre_dim)
        fprintf(out,
                "Genres: the genres of the films each user liked (%s), shares of all "
                "their likes%s, each genre standardised, at weight %g.\n",
                panel_like_words(panel), later_weighed ? " and of their later ones" : "",
                o->features.genre_weight);
    /* the blocks there are (a taste-only panel has no demographics), each
     * share what the others leave (never -0.0%) */
    double demo_share = fmax(0, 1 - sc->taste_variance_share - sc->genre_variance_share);
    fprintf(out, "Share of the variance: taste %.1f%%", 100 * sc->taste_variance_share);
    if (sc->genre_dim)
        fprintf(out, ", genres %.1f%%", 100 * sc->genre_variance_share);
    if (sc->demo_dim)
        fprintf(out, ", demographics %.1f%%", 100 * demo_share);
    fprintf(out, " (%zu", sc->taste_dim);
    if (sc->genre_dim)
        fprintf(out, " + %zu", sc->genre_dim);
    if (sc->demo_dim)
        fprintf(out, " + %zu", sc->demo_dim);
    fprintf(out, " columns).\n");

    heading(format, out, "Elbow");
    fprintf(out, "Each k the best of %d k-means++ run%s (at most %d iterations each).\n\n",
            o->kmeans.restarts, o->kmeans.restarts == 1 ? "" : "s", o->kmeans.max_iter);
    const double *stability = seg->sweep.stability; /* NULL: not measured */
    static const char *const elbow_headers[] = {"k",         "inertia", "drop", "silhouette",
                                                "stability", "weakest", "note"};
    static const char *const elbow_headers_unstable[] = {"k", "inertia", "drop", "silhouette",
                                                         "note"};
    Table t;
    table_init(&t, stability ? 7 : 5, stability ? elbow_headers : elbow_headers_unstable);
    t.right_align[0] = t.right_align[1] = t.right_align[2] = t.right_align[3] = true;
    t.right_align[4] = t.right_align[5] = stability != NULL;
    for (int k = 1; k <= seg->sweep.kmax; k++) {
        double inertia = seg->sweep.results[k - 1].inertia;
        double prev = k > 1 ? seg->sweep.results[k - 2].inertia : NAN;
        char drop[32] = "", sil[32] = "", stable[40] = "";
        if (k > 1 && prev > 0)
            snprintf(drop, sizeof drop, "%.1f%%", 100 * (prev - inertia) / prev);
        if (!isnan(seg->sweep.silhouette[k - 1]))
            snprintf(sil, sizeof sil, "%.3f", seg->sweep.silhouette[k - 1]);
        double weakest = kmeans_weakest_segment_stability(&seg->sweep, k);
        if (stability && isfinite(weakest))
            snprintf(stable, sizeof stable, "%.3f\t%.3f\t", stability[k - 1], weakest);
        else if (stability)
            snprintf(stable, sizeof stable, "%.3f\t-\t", stability[k - 1]);
        table_row(&t, "%d\t%.3f\t%s\t%s\t%s%s%s", k, inertia, drop, sil, stable,
                  k == seg->sweep.knee ? "knee" : "",
                  k == k_shown ? (k == seg->sweep.knee ? ", chosen" : "chosen") : "");
    }
    ok &= table_print(&t, format, out);
    table_free(&t);
    if (k_shown == seg->k)
        fprintf(out, "\nChosen: the k described below, the model's (train --k; report --k shows "
                     "another of the sweep).\n");
    else
        fprintf(out, "\nChosen: the k described below (--k); the model's is k = %d.\n", seg->k);
    if (seg->sweep.knee)
        fprintf(out, "The inertia curve bends most at k = %d (Kneedle, focused on the bend).\n",
                seg->sweep.knee);
    else
        fprintf(out, "The inertia curve has no knee: Kneedle finds no bend%s.\n",
                seg->sweep.kmax < 3 ? " in a sweep to k = 2" : "");
    if (stability)
        fprintf(out,
                "Stability: the segments made again from %d random sample%s of %zu of the %zu "
                "users agree with these by an adjusted Rand index of %.3f%s at k = %d "
                "(1: the same segments; near 0: no more alike than chance).\n",
                seg->sweep.stability_resamples, seg->sweep.stability_resamples == 1 ? "" : "s",
                kmeans_stability_points(seg->n_users), seg->n_users, stability[k_shown - 1],
                seg->sweep.stability_resamples == 1 ? "" : " on average", k_shown);
    else if (!segmentation_stability_stopped(seg))
        fprintf(out,
                "Stability: not measured (trained with --stability 0%s): whether these "
                "segments come back from samples of the users is not known.\n",
                o->ae.loss == AE_LOSS_STUDY ? ", as the study's method is" : "");
    if (segmentation_stability_stopped(seg))
        fprintf(out, "The training's stability stage was stopped at %d of the %d refits asked%s.\n",
                segmentation_stability_refits(seg), seg->options.stability,
                stability ? ": the figures are of those done" : ", before any was done");
    /* how to weigh the columns, with this sweep's best silhouette */
    int best = kmeans_best_silhouette_k(&seg->sweep);
    fprintf(out, "To choose k: more segments always lower the inertia; the knee is where that gain "
                 "slows. The silhouette compares k's: how clearly users sit in their segment "
                 "(Kaufman and Rousseeuw read above 0.5 as a clear structure, under 0.25 as none "
                 "substantial)");
    if (best) {
        double top = seg->sweep.silhouette[best - 1];
        static const char *const READING[] = {
            "the segments divide a continuum rather than find separate groups", "a weak structure",
            "a clear structure"};
        fprintf(out, "; here it is at most %.3f, at k = %d: %s", top, best,
                READING[kmeans_silhouette_reading(top)]);
    }
    fprintf(out,
            ".%s None of these measures taste: past the knee, finer segments can still "
            "tell tastes apart better%s\n",
            stability ? " The stability says whether a k's segments come back from samples at "
                        "all."
                      : "",
            stability ? ", so long as they come back: \"weakest\" is a k's least stable segment "
                        "(Hennig's reading, below: under 0.75 its members are doubtful, under 0.6 "
                        "it is not to be trusted), which the k's own stability can hide."
                      : ".");

    heading(format, out, "Segments");
    const int32_t *labels = segmentation_labels(seg, k_shown);
    static const char *const size_headers[] = {"segment", "users", "share", "stability",
                                               "reading (Hennig)"};
    table_init(&t, stability ? 5 : 3, size_headers);
    t.right_align[1] = t.right_align[2] = true;
    t.right_align[3] = stability != NULL;
    for (int s = 0; s < k_shown; s++) {
        size_t n = 0;
        for (size_t u = 0; u < seg->n_users; u++)
            n += labels[u] == s;
        char stable[64] = "", figure[16] = "-";
        double st = kmeans_segment_stability(&seg->sweep, k_shown, s);
        static const char *const READING[] = {"not to be trusted", "doubtful members", "valid",
                                              "highly stable"};
        int reading = kmeans_stability_reading(st);
        if (isfinite(st)) /* (a segment none of whose users a refit drew has none) */
            snprintf(figure, sizeof figure, "%.3f", st);
        if (stability)
            snprintf(stable, sizeof stable, "\t%s\t%s", figure,
                     k_shown == 1  ? "the whole panel: always whole"
                     : n == 1      ? "one user: an outlier, not a segment"
                     : reading < 0 ? "not measured"
                                   : READING[reading]);
        table_row(&t, "%d\t%zu\t%.1f%%%s", s, n, percent(n, seg->n_users), stable);
    }
    ok &= table_print(&t, format, out);
    table_free(&t);
    if (stability)
        fprintf(out,
                "\nA segment's stability is how whole it comes back in those refits: the share "
                "of its users and of the best matching refitted segment's that the two have in "
                "common (Jaccard), averaged. Read as Hennig reads it: below 0.6 a segment is "
                "not to be trusted; from 0.6 to 0.75 it shows a pattern, but which users belong "
                "to it is doubtful; from 0.75 it is valid, from 0.85 highly stable.\n");
    /* (30 refits moved ml-100k's default segments' by 0.01 to 0.06 from 5
     * refits', segment 4 from doubtful to valid; the demo panel's by up to
     * 0.07 from 2 refits' and 0.13 from 1's) */
    int refits = seg->sweep.stability_resamples;
    if (stability && refits < 20)
        fprintf(out,
                "From %d refit%s these figures are rough (more refits can move a segment's by %s): "
                "train --stability 30 for a firmer reading of one near a threshold.\n",
                refits, refits == 1 ? "" : "s",
                refits <= 2 ? "a tenth or more" : "several hundredths");

    const ClassifierReport *cr = &seg->classifier_report;
    heading(format, out, "Classifier");
    fprintf(out, "It assigns new users to the model's k = %d segments (filmseg score)%s.\n", seg->k,
            k_shown != seg->k ? "; a model of another k's classifier: train --k, or the explorer's "
                                "s at that k"
                              : "");
    fprintf(out,
            "%zu training and %zu validation users; %d epoch%s, best at %d; validation accuracy "
            "%.1f%%.\n",
            cr->n_train, cr->n_val, cr->epochs_run, cr->epochs_run == 1 ? "" : "s", cr->best_epoch,
            100 * cr->val_accuracy);
    const ClassifierOptions *co = &o->classifier;
    fprintf(out,
            "Trained with %d and %d hidden units, batch %d, learning rate %g (cut 10x after %d "
            "epochs without gain), at most %d epochs (stopping after %d without gain), L1 and "
            "L2 penalties %g and %g%s.\n\n",
            co->hidden1, co->hidden2, co->batch, co->lr, co->plateau_patience, co->epochs,
            co->stop_patience, co->l1, co->l2,
            seg->settings_unrecorded ? " (a model file before version 8 records not its batch, "
                                       "rate, patience or penalties: the defaults are shown)"
                                     : "");
    if (cr->confusion && seg->k <= 15) {
        const char *headers[16] = {"true \\ predicted"};
        char names[15][16];
        for (int s = 0; s < seg->k; s++) {
            snprintf(names[s], sizeof names[s], "%d", s);
            headers[s + 1] = names[s];
        }
        table_init(&t, (size_t)seg->k + 1, headers);
        for (int s = 0; s <= seg->k; s++)
            t.right_align[s] = s > 0;
        for (int a = 0; a < seg->k; a++) {
            char row[512];
            int len = snprintf(row, sizeof row, "%d", a);
            for (int b = 0; b < seg->k; b++)
                len += snprintf(row + len, sizeof row - (size_t)len, "\t%d",
                                cr->confusion[a * seg->k + b]);
            table_row(&t, "%s", row);
        }
        ok &= table_print(&t, format, out);
        table_free(&t);
    }

    heading(format, out, "Time");
    double total = 0;
    for (int s = 0; s < STAGE_COUNT; s++) {
        if (s == STAGE_STABILITY && !seg->sweep.stability)
            continue; /* not measured */
        fprintf(out, "%-16s %8.3f s\n", stage_name(s), seg->seconds[s]);
        total += seg->seconds[s];
    }
    fprintf(out, "%-16s %8.3f s\n", "total", total);
    return ok;
}

/* How much users rate: what it tells about the segment (taste read from
 * sparse ratings can part heavy raters from light ones). */
static void activity_followed(double ami, FILE *out)
{
    if (!isfinite(ami))
        return;
    bool follows = ami >= SEGMENTS_FOLLOW_AMI;
    fprintf(out,
            "How many films a user rated tells %s about their segment: an AMI of %.3f with the "
            "quintile of their number of ratings%s.\n",
            follows ? "something" : "little", ami,
            follows ? " (in part these segments set heavy raters apart from light ones, whose "
                      "taste is read from fewer ratings)"
                    : "");
}

/* How much each demographic, and how much rating, tells about the segment. */
static bool demographics_followed(const Panel *panel, const int32_t *labels, OutputFormat format,
                                  FILE *out)
{
    double activity = segments_follow_activity(panel, labels);
    if (!panel->has_demographics && !isfinite(activity))
        return true; /* nothing to say */
    heading(format, out, "What the segments follow");
    if (!panel->has_demographics) {
        activity_followed(activity, out);
        return true;
    }
    double ami[DEMOGRAPHIC_COUNT];
    segments_follow_demographics(panel, labels, ami);
    fprintf(out, "How much knowing a user's gender, age band, occupation or state tells about "
                 "their segment: the adjusted mutual information (0: no more than chance; 1: "
                 "the segments are that demographic).\n\n");
    static const char *const headers[] = {"demographic", "AMI"};
    Table t;
    table_init(&t, 2, headers);
    t.right_align[1] = true;
    int most = 0;
    for (int d = 0; d < DEMOGRAPHIC_COUNT; d++) {
        table_row(&t, "%s\t%.3f", demographic_name((Demographic)d), ami[d]);
        most = ami[d] > ami[most] ? d : most;
    }
    bool ok = table_print(&t, format, out);
    table_free(&t);
    /* what the figures say, against the study's segments (seed 0, ml-100k) */
    if (ami[most] < SEGMENTS_FOLLOW_AMI)
        fprintf(out,
                "\nThese segments follow no demographic much (at most %.3f, %s): they are "
                "not demographic groups in disguise. For comparison, the study's own segments of "
                "ml-100k (seed 0, k = 5) follow age band 0.48, gender 0.29, occupation 0.27.\n",
                ami[most], demographic_name((Demographic)most));
    else
        fprintf(out,
                "\nThese segments follow %s most (%.3f): in part they are that demographic, "
                "not taste alone. For comparison, the study's own segments of ml-100k (seed 0, "
                "k = 5) follow age band 0.48, gender 0.29, occupation 0.27.\n",
                demographic_name((Demographic)most), ami[most]);
    if (isfinite(activity))
        fputc('\n', out);
    activity_followed(activity, out);
    return ok;
}

/* The genres everyone liked at least PROFILE_FEW_RATINGS times, most liked
 * first: each one's share of everyone's likes, and every segment's share of
 * its own likes as an index ("-" under PROFILE_FEW_RATINGS likes). */
static bool genre_table(const Panel *panel, const Profile *segments, int k, const Profile *everyone,
                        OutputFormat format, FILE *out)
{
    int genres[PANEL_MAX_GENRES];
    size_t n = profile_liked_genres(panel, everyone, PROFILE_FEW_RATINGS, genres);
    if (n == 0 || (size_t)k + 2 > TABLE_MAX_TEXT_COLS)
        return true;
    heading(format, out, "Genres liked");
    fprintf(out,
            "Each genre's share of everyone's likes (ratings of %s; a film of several "
            "genres counts in each), and each segment's share of its likes as an index against "
            "it (100 = as everyone; - under %d likes).\n\n",
            panel_like_words(panel), PROFILE_FEW_RATINGS);
    const char *headers[TABLE_MAX_TEXT_COLS] = {"genre", "likes"};
    char names[TABLE_MAX_TEXT_COLS][16];
    for (int s = 0; s < k; s++) {
        snprintf(names[s], sizeof names[s], "%d", s);
        headers[s + 2] = names[s];
    }
    Table t;
    table_init(&t, (size_t)k + 2, headers);
    for (int c = 1; c < k + 2; c++)
        t.right_align[c] = true;
    for (size_t i = 0; i < n; i++) {
        int g = genres[i];
        char row[1024];
        int len = snprintf(row, sizeof row, "%s\t%.1f%%", panel->genres[g],
                           percent(everyone->genre_likes[g], everyone->n_likes));
        for (int s = 0; s < k && len < (int)sizeof row; s++) {
            double idx = profile_genre_index(&segments[s], everyone, g);
            if (isnan(idx))
                len += snprintf(row + len, sizeof row - (size_t)len, "\t-");
            else
                len += snprintf(row + len, sizeof row - (size_t)len, "\t%.0f", idx);
        }
        table_row(&t, "%s", row);
    }
    bool ok = table_print(&t, format, out);
    table_free(&t);
    return ok;
}

/* The segment's distinctive films (liked far more often than by everyone):
 * raters, lift, the share of likes. */
static bool distinctive_table(const Panel *panel, const int32_t *labels, int segment,
                              OutputFormat format, FILE *out)
{
    enum { SHOWN = 10 };
    uint32_t films[SHOWN];
    HeatRow rows[SHOWN];
    size_t n = heatmap_distinctive(panel, labels, segment, SHOWN, films);
    if (n == 0) { /* said, not left out without a word */
        size_t users = 0;
        for (size_t u = 0; u < panel->n_users; u++)
            users += labels[u] == segment;
        fprintf(out,
                "\nDistinctive films: none (no film was liked by %zu or more of it: %d, and "
                "5%% of its users).\n",
                heatmap_min_likers(users), PROFILE_FEW_RATINGS);
        return true;
    }
    heatmap_rows(panel, labels, segment, films, n, rows);
    fprintf(
        out,
        "\nDistinctive films: the ones it likes far more often than everyone does (lift: the "
        "film's share of the segment's likes, ratings of %s, over its share of everyone's, so "
        "that a segment rating more films does not lift them all; raters: those of it who rated "
        "the film; liked: the share of their ratings that were likes; at least %d and 5%% of "
        "its users liked each).\n\n",
        panel_like_words(panel), PROFILE_FEW_RATINGS);
    static const char *const headers[] = {"raters", "lift", "liked", "title"};
    Table t;
    table_init(&t, 4, headers);
    t.right_align[0] = t.right_align[1] = t.right_align[2] = true;
    for (size_t i = 0; i < n; i++)
        table_row(&t, "%zu\t%.2f\t%.0f%%\t%s", rows[i].ratings, rows[i].lift,
                  100 * (rows[i].share[4] + rows[i].share[5]), panel->films[rows[i].film].title);
    bool ok = table_print(&t, format, out);
    table_free(&t);
    return ok;
}

bool report_segments(const Panel *panel, int k, const int32_t *labels, const Profile *everyone,
                     OutputFormat format, FILE *out)
{
    Profile *profiles = calloc((size_t)k, sizeof *profiles);
    int computed = 0;
    while (profiles && computed < k &&
           profile_compute(panel, labels, computed, &profiles[computed]) == 0)
        computed++;
    bool ok = computed == k; /* else memory ran out: the segments after are left out */
    if (k >= 2)              /* one segment follows nothing and has nothing distinctive */
        ok &= demographics_followed(panel, labels, format, out);
    if (computed == k)
        ok &= genre_table(panel, profiles, k, everyone, format, out);
    if (computed && panel->has_demographics)
        fprintf(out,
                "\nEach segment's line in short names up to 3 genres it likes most above "
                "everyone (an index of %d or more), newer or older films (half its likes' films "
                "out %d years or more apart from everyone's), older or younger (a mean age %d "
                "years or more apart), more men or women (an index of %d or more) and up to 2 "
                "occupations with an index of %d or more that hold 5%% and 5 of its users.\n",
                HEADLINE_GENRE_INDEX, HEADLINE_YEARS_APART, HEADLINE_AGE_APART,
                HEADLINE_GENDER_INDEX, HEADLINE_OCCUPATION_INDEX);
    else if (computed) /* a taste-only panel: the genres and the years */
        fprintf(out,
                "\nEach segment's line in short names up to 3 genres it likes most above "
                "everyone (an index of %d or more) and newer or older films (half its likes' "
                "films out %d years or more apart from everyone's).\n",
                HEADLINE_GENRE_INDEX, HEADLINE_YEARS_APART);
    for (int s = 0; s < computed; s++) {
        const Profile p = profiles[s];
        char title[64];
        snprintf(title, sizeof title, "Segment %d", s);
        heading(format, out, title);
        char headline[512];
        profile_headline(panel, &p, everyone, headline, sizeof headline);
        fprintf(out, "In short: %s.\n", headline);
        char users[32], ratings[32];
        fprintf(out,
                "%s user%s (%.1f%% of the sample), %s ratings (%.0f a user; everyone: %.0f), "
                "mean rating %.2f.\n",
                format_thousands(p.n_users, users, sizeof users), p.n_users == 1 ? "" : "s",
                percent(p.n_users, everyone->n_users),
                format_thousands(p.n_ratings, ratings, sizeof ratings),
                p.n_users ? (double)p.n_ratings / p.n_users : 0.0,
                everyone->n_users ? (double)everyone->n_ratings / everyone->n_users : 0.0,
                p.rating_mean);
        if (p.liked_year_median && everyone->liked_year_median)
            fprintf(out, "Half its likes are of films out by %d (everyone's: by %d).\n",
                    p.liked_year_median, everyone->liked_year_median);
        if (p.has_demographics && p.n_users) {
            double male_index =
                profile_share_index(p.n_male, p.n_users, everyone->n_male, everyone->n_users);
            if (p.ages_banded) /* the bands' lower bounds have no meaningful mean */
                fprintf(out, "Male %.1f%% (index %.0f); median age band %s.\n",
                        percent(p.n_male, p.n_users), male_index,
                        age_band_label(profile_median_age_band(&p)));
            else
                fprintf(out, "Male %.1f%% (index %.0f); age mean %.1f, median %g.\n",
                        percent(p.n_male, p.n_users), male_index, p.age_mean, p.age_median);
            Table t;
            static const char *const headers[] = {"occupation", "users", "share", "index"};
            fputc('\n', out);
            table_init(&t, 4, headers);
            t.right_align[1] = t.right_align[2] = t.right_align[3] = true;
            HeadlinePicks picks; /* the occupations its line in short names, past the 8 too */
            profile_headline_picks(panel, &p, everyone, &picks);
            for (size_t i = 0; i < p.n_occupations; i++) {
                if (i >= 8 && !headline_picks_occupation(&picks, p.occupations[i].index))
                    continue;
                size_t all_count = profile_occupation_count(everyone, p.occupations[i].index);
                table_row(&t, "%s\t%zu\t%.1f%%\t%.0f", panel->occupations[p.occupations[i].index],
                          p.occupations[i].count, percent(p.occupations[i].count, p.n_users),
                          profile_share_index(p.occupations[i].count, p.n_users, all_count,
                                              everyone->n_users));
            }
            ok &= table_print(&t, format, out);
            table_free(&t);
            fputc('\n', out);
            static const char *const age_headers[] = {"age", "users", "share", "index"};
            table_init(&t, 4, age_headers);
            t.right_align[1] = t.right_align[2] = t.right_align[3] = true;
            for (int b = 0; b < AGE_BAND_COUNT; b++)
                table_row(&t, "%s\t%zu\t%.1f%%\t%.0f", age_band_label(b), p.age_bands[b],
                          percent(p.age_bands[b], p.n_users),
                          profile_share_index(p.age_bands[b], p.n_users, everyone->age_bands[b],
                                              everyone->n_users));
            ok &= table_print(&t, format, out);
            table_free(&t);
        }
        if (k >= 2)
            ok &= distinctive_table(panel, labels, s, format, out);
        fprintf(out, "\nIts top 10 films per score (n: how many of it gave the film that "
                     "score):\n\n");
        Table t;
        report_top_films_table(panel, &p, &t);
        ok &= table_print(&t, format, out);
        table_free(&t);
    }
    for (int s = 0; s < computed; s++)
        profile_free(&profiles[s]);
    free(profiles);
    return ok;
}
