/*
 * test_search_text.c — the search analyser (platform/search_text.c): words
 * of any script, case folding, stopwords, plural stemming, phrase
 * normalisation for suggestions, the one-edit test of typo tolerance, and
 * highlighting (HTML escaping, marks, snippets).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "base/arena.h"
#include "platform/search.h"

static struct arena a;

static void setup(void)
{
    arena_init(&a, 0);
}

static void teardown(void)
{
    arena_destroy(&a);
}

TestSuite(search_text, .init = setup, .fini = teardown);

static const char *word(const char *w)
{
    static char out[SEARCH_TERM_MAX + 1];
    size_t n = search_analyze_word(w, strlen(w), out);
    return n == 0 ? "" : out;
}

Test(search_text, words_fold_drop_stopwords_and_stem_plurals)
{
    cr_assert_str_eq(word("Vases"), "vase");
    cr_assert_str_eq(word("GLASSES"), "glass");
    cr_assert_str_eq(word("glass"), "glass");
    cr_assert_str_eq(word("boxes"), "box");
    cr_assert_str_eq(word("dishes"), "dish");
    cr_assert_str_eq(word("stories"), "story");
    cr_assert_str_eq(word("ceramics"), "ceramic");
    cr_assert_str_eq(word("cactus"), "cactus");
    cr_assert_str_eq(word("mugs"), "mug");
    cr_assert_str_eq(word("gas"), "gas");
    cr_assert_str_eq(word("The"), "");
    cr_assert_str_eq(word("with"), "");
    cr_assert_str_eq(word("a"), "");
    cr_assert_str_eq(word("x"), "");
    cr_assert_str_eq(word("7"), "7");
    cr_assert_str_eq(word("3D"), "3d");
    cr_assert_str_eq(word("CAFÉ"), "café");
    cr_assert_str_eq(word("ЧАШКА"), "чашка");
    char longw[100];
    memset(longw, 'a', 80);
    longw[80] = '\0';
    cr_assert_str_eq(word(longw), "", "longer than SEARCH_TERM_MAX: not indexed");
}

Test(search_text, text_splits_on_punctuation_symbols_and_bad_bytes)
{
    cr_assert_str_eq(search_analyze_text(&a, "Hand-thrown mugs, the BEST — in town!"), "hand thrown mug best town");
    cr_assert_str_eq(search_analyze_text(&a, "tea\xE2\x80\xA2pot \xF0\x9F\x8F\xBA vase\xFFlid"), "tea pot vase lid");
    cr_assert_str_eq(search_analyze_text(&a, ""), "");
}

Test(search_text, queries_are_distinct_words)
{
    struct search_query q;
    cr_assert_eq(search_query_parse(&a, "Ceramic ceramics VASE vase!", &q), 2);
    cr_assert_str_eq(q.words[0].term, "ceramic");
    cr_assert_str_eq(q.words[1].term, "vase");
    cr_assert_eq(search_query_parse(&a, "the of and a", &q), 0);
    cr_assert_eq(search_query_parse(&a, "  !!  ", &q), 0);
    cr_assert_eq(search_query_parse(&a, "one two three four five six seven eight nine ten", &q),
                 SEARCH_QUERY_MAX_TERMS);
}

Test(search_text, phrases_for_suggestions)
{
    cr_assert_str_eq(search_phrase_normalize(&a, "  Juniper & Ash  Ceramics ", 100, false), "juniper ash ceramics");
    cr_assert_str_eq(search_phrase_normalize(&a, "blue ", 100, true), "blue ");
    cr_assert_str_eq(search_phrase_normalize(&a, "blue ", 100, false), "blue");
    cr_assert_str_eq(search_phrase_normalize(&a, "Crème brûlée set", 8, false), "crème br");
    cr_assert_str_eq(search_phrase_normalize(&a, "!!!", 100, true), "");
}

Test(search_text, one_edit)
{
    cr_assert(search_within_one_edit("ceramc", "ceramic"));   /* insertion */
    cr_assert(search_within_one_edit("ceramicc", "ceramic")); /* deletion */
    cr_assert(search_within_one_edit("ceranic", "ceramic"));  /* substitution */
    cr_assert(search_within_one_edit("cearmic", "ceramic"));  /* transposition */
    cr_assert(search_within_one_edit("ceramic", "ceramic"));
    cr_assert(search_within_one_edit("cafe", "café")); /* a character, not a byte */
    cr_assert(!search_within_one_edit("cerxmxc", "ceramic"));
    cr_assert(!search_within_one_edit("caramel", "ceramic"));
    cr_assert(!search_within_one_edit("ceram", "ceramic"));
    cr_assert(!search_within_one_edit("earmic", "ceramic"));
    cr_assert_eq(search_utf8_chars("café"), 4);
}

Test(search_text, highlights_escape_and_mark)
{
    struct search_query q;
    search_query_parse(&a, "vase", &q);
    q.words[0].alts[0] = "vase";
    q.words[0].nalts = 1;
    cr_assert_str_eq(search_highlight(&a, "Vases <b>& \"more\"</b> 'x'", &q, 0),
                     "<mark>Vases</mark> &lt;b&gt;&amp; &quot;more&quot;&lt;/b&gt; &#39;x&#39;");
    cr_assert_str_eq(search_highlight(&a, "no match here", &q, 0), "no match here");
    const char *text = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho "
                       "sigma tau upsilon phi chi psi omega and then a vase at last, followed by more words that "
                       "should be cut away from the end of the snippet window";
    char *snip = search_highlight(&a, text, &q, 60);
    cr_assert(strncmp(snip, "\xE2\x80\xA6", 3) == 0, "%s", snip);
    cr_assert(strstr(snip, "<mark>vase</mark>") != NULL, "%s", snip);
    cr_assert(strcmp(snip + strlen(snip) - 3, "\xE2\x80\xA6") == 0, "%s", snip);
    cr_assert(strstr(snip, "alpha") == NULL && strstr(snip, "window") == NULL, "%s", snip);
    /* No match: the start of the text. */
    search_query_parse(&a, "zebra", &q);
    q.words[0].alts[0] = "zebra";
    q.words[0].nalts = 1;
    snip = search_highlight(&a, text, &q, 30);
    cr_assert(strncmp(snip, "alpha beta", 10) == 0, "%s", snip);
}
