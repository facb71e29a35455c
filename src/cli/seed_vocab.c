/*
 * seed_vocab.c — the words the generated catalogue (`seed --catalog N`,
 * seed_catalog.c) is made of.
 *
 * One entry per leaf category of the demo tree (struct seed_craft): title
 * parts (adjective x material x object, e.g. "Hand-thrown Stoneware Mug"),
 * tags, secondary materials, description sentences, a variant dimension,
 * price, weight and processing ranges. Crafts belong to families (struct
 * seed_family: ceramics, jewelry, ...); a seller works in one family, so a
 * shop's listings hang together. The lists are wide enough that titles
 * repeat across shops (as they do on real marketplaces) but rarely within
 * one.
 *
 * Caveats: English only; prices are USD minor units. Search benchmarks rely
 * on "stoneware" and "mug" being common words (bench/run.sh).
 */
#include <stddef.h>

#include "cli/seed_int.h"

/* A NULL-terminated word list as a static compound literal. */
#define WORDS(...) ((const char *const[]){__VA_ARGS__, NULL})

size_t seed__words_count(const char *const *words)
{
    size_t n = 0;

    while (words[n] != NULL)
        n++;
    return n;
}

/*-----------------------------------------------------------------------------
 * Families
 */

enum { F_JEWELRY, F_CERAMICS, F_ART, F_TEXTILES, F_WOOD, F_LEATHER };

const struct seed_family seed__families[] = {
    [F_JEWELRY] = {"jewelry", WORDS("Jewelry", "Metalworks", "Silver", "Adornments", "Jewelry Studio"),
                   WORDS("Everyday jewelry, made by hand", "Small-batch jewelry in recycled metals",
                         "Botanical jewelry cast from real leaves", "Heirlooms for every day"),
                   WORDS("Metalsmith working in recycled silver and ethically sourced stones.",
                         "I saw, file and solder every piece at my bench, one at a time.",
                         "Jeweler and former geologist. I love a stone with a story.",
                         "Self-taught silversmith making pieces meant to be worn every day."),
                   WORDS("Returns accepted within 14 days of delivery (not on engraved pieces).",
                         "Returns and exchanges within 30 days; custom sizes are final sale."),
                   22},
    [F_CERAMICS] = {"ceramics", WORDS("Ceramics", "Pottery", "Clay Studio", "Clayworks", "Kiln"),
                    WORDS("Wheel-thrown stoneware for everyday rituals", "Functional pottery for slow mornings",
                          "Small-batch ceramics and hand-poured candles", "Pots for people who cook"),
                    WORDS("Potter working in speckled stoneware and soft glazes.",
                          "I throw every piece on the wheel in a converted garage studio.",
                          "Ceramic artist mixing my own glazes from raw materials.",
                          "Former chef turned potter: I make the bowls I wanted to cook for."),
                    WORDS("Returns accepted within 30 days of delivery.",
                          "Breakage in transit is replaced free; returns within 14 days."),
                    24},
    [F_ART] = {"art", WORDS("Prints", "Press", "Art Studio", "Editions", "Gallery"),
               WORDS("Prints and originals from a tiny studio", "Hand-pulled prints on archival paper",
                     "Original art for small walls", "Art inspired by birds, coasts and forests"),
               WORDS("Printmaker and illustrator working in linocut and risograph.",
                     "Painter of small landscapes, mostly in watercolor and gouache.",
                     "I carve, ink and pull every print by hand on an old etching press.",
                     "Artist and teacher; my studio looks out over a salt marsh."),
               WORDS("Returns accepted within 14 days for prints; originals are final sale.",
                     "Returns within 30 days in original packaging."),
               16},
    [F_TEXTILES] = {"textiles", WORDS("Loom", "Knits", "Textiles", "Fiber Co.", "Weaving"),
                    WORDS("Naturally dyed, hand-woven textiles", "Slow knits for cold days",
                          "Scarves and wraps from the loom", "Hand-dyed with plants from the garden"),
                    WORDS("Weaver and natural dyer with indigo vats in the backyard.",
                          "I knit every piece by hand from traceable wool.",
                          "Textile designer working with small farms and mills.",
                          "Dyer and knitter. My colours come from madder, weld and indigo."),
                    WORDS("Exchanges within 30 days.", "Returns accepted within 14 days, unworn."), 14},
    [F_WOOD] = {"woodwork", WORDS("Woodworks", "Woodshop", "Timber Co.", "Joinery", "Woodcraft"),
                WORDS("Heirloom kitchenware and furniture", "Hardwood goods made to last",
                      "Carved spoons and boards from local trees", "Furniture with honest joinery"),
                WORDS("Furniture maker turned spoon carver, and back again.",
                      "I work with locally milled walnut, cherry and maple.",
                      "Green-wood carver. Most of my wood comes from storm-felled trees.",
                      "Cabinetmaker with a small shop and a big lathe."),
                WORDS("Returns accepted within 30 days; custom furniture is final sale.",
                      "Returns within 14 days of delivery."),
                14},
    [F_LEATHER] = {"leather", WORDS("Leather", "Leatherworks", "Goods", "Saddlery", "Leather Co."),
                   WORDS("Hand-stitched leather goods", "Built to age well", "Bags and wallets for every day",
                         "Vegetable-tanned leather, stitched by hand"),
                   WORDS("Leatherworker. Hand-stitched goods built to age well.",
                         "I cut, stitch and burnish every piece myself.",
                         "Bag maker working in waxed canvas and bridle leather.",
                         "Former saddler making small leather goods."),
                   WORDS("Returns accepted within 30 days (not on personalized items).",
                         "Stitching guaranteed for life; returns within 14 days."),
                   10},
};
const size_t seed__nfamilies = sizeof(seed__families) / sizeof(seed__families[0]);

/*-----------------------------------------------------------------------------
 * Crafts: one per leaf category
 */

#define CERAMIC_ADJ                                                                                                    \
    WORDS("Hand-thrown", "Wheel-thrown", "Hand-built", "Speckled", "Glazed", "Matte", "Rustic", "Minimalist",         \
          "Wood-fired", "Carved", "Crackle-glazed", "Modern", "Organic", "Textured", "Handmade")
#define CERAMIC_MAT WORDS("Stoneware", "Porcelain", "Earthenware", "Speckled Stoneware", "Raku", "Terracotta")
#define CERAMIC_EXTRA WORDS("food-safe glaze", "glaze", "slip", "iron oxide")
#define CERAMIC_PROCESS                                                                                               \
    WORDS("thrown on the wheel, then trimmed and glazed by hand", "fired to cone 6 in an electric kiln",              \
          "finished in a glaze mixed in the studio", "shaped by hand and left raw on the outside",                    \
          "dipped in a satin glaze that breaks to brown at the rim")
#define CERAMIC_GLAZES WORDS("Speckled White", "Sea Glass", "Charcoal", "Celadon", "Rust", "Oatmeal")

#define METAL_ADJ                                                                                                      \
    WORDS("Dainty", "Hammered", "Minimalist", "Botanical", "Celestial", "Oxidized", "Handcrafted", "Engraved",         \
          "Boho", "Vintage-style", "Textured", "Delicate", "Chunky", "Organic")
#define METAL_MAT                                                                                                      \
    WORDS("Sterling Silver", "Recycled Silver", "Gold-filled", "Brass", "Copper", "Rose Gold", "Bronze")
#define METAL_PROCESS                                                                                                 \
    WORDS("cut, soldered and polished at the bench", "cast from a hand-carved wax model",                              \
          "hammered by hand for a texture that catches the light", "oxidized to bring out every detail",             \
          "finished with a soft brushed shine")
#define JEWELRY_TAGS                                                                                                   \
    WORDS("gift for her", "everyday jewelry", "minimalist jewelry", "birthday gift", "anniversary gift", "boho",       \
          "nature jewelry", "layering", "handmade jewelry", "bridesmaid gift")
#define JEWELRY_CARE "Store it dry and polish with a soft cloth to keep the shine."

#define WOOD_MAT WORDS("Walnut", "Maple", "Cherry", "White Oak", "Olive Wood", "Ash", "Birch", "Acacia")
#define WOOD_PROCESS                                                                                                  \
    WORDS("finished with food-safe oil and beeswax", "shaped with hand tools and sanded smooth",                       \
          "cut from locally milled hardwood", "carved green and dried slowly",                                          \
          "joined without a single metal fastener")

#define TEXTILE_PROCESS                                                                                               \
    WORDS("dyed in a living indigo vat", "woven on a floor loom", "knit by hand, one stitch at a time",              \
          "dyed with plants grown in the garden", "washed and blocked by hand")

#define LEATHER_PROCESS                                                                                               \
    WORDS("saddle-stitched by hand with waxed linen thread", "cut by hand and burnished at the edges",              \
          "finished with beeswax for a soft sheen", "built to develop a rich patina")

const struct seed_craft seed__crafts[] = {
    /* Jewelry */
    {"necklaces", F_JEWELRY, 30, METAL_ADJ,
     WORDS("Sterling Silver", "Gold-filled", "Brass", "Freshwater Pearl", "Turquoise", "Moonstone", "Recycled Silver"),
     WORDS("Pendant Necklace", "Charm Necklace", "Bar Necklace", "Locket", "Choker", "Beaded Necklace",
           "Layering Necklace", "Medallion Necklace", "Pendant"),
     WORDS("sterling silver", "gold fill", "freshwater pearl", "labradorite"), JEWELRY_TAGS, METAL_PROCESS,
     WORDS("It hangs on a fine cable chain with a spring-ring clasp.", "The pendant is about 2 cm across.",
           "Layer it with a longer chain or wear it alone."),
     JEWELRY_CARE, "chain_length", WORDS("16 in", "18 in", "20 in", "24 in"), 2400, 18000, 10, 60, 5, 1, 4,
     "Initials to engrave (up to 3)", 3},
    {"rings", F_JEWELRY, 30, METAL_ADJ, METAL_MAT,
     WORDS("Stacking Ring", "Signet Ring", "Band", "Statement Ring", "Spinner Ring", "Cocktail Ring", "Midi Ring",
           "Promise Ring", "Wedding Band"),
     WORDS("sterling silver", "gold fill", "moonstone", "opal", "garnet"), JEWELRY_TAGS, METAL_PROCESS,
     WORDS("Made to order in your size.", "The band is about 2 mm wide and comfortable all day.",
           "Stack it with others or wear it alone."),
     JEWELRY_CARE, "size", WORDS("5", "6", "7", "8", "9", "10"), 1800, 45000, 5, 25, 20, 2, 7,
     "Ring size (US)", 5},
    {"earrings", F_JEWELRY, 25, METAL_ADJ, METAL_MAT,
     WORDS("Stud Earrings", "Hoop Earrings", "Drop Earrings", "Huggie Earrings", "Threader Earrings",
           "Dangle Earrings", "Ear Climbers"),
     WORDS("sterling silver", "gold fill", "opal", "freshwater pearl"), JEWELRY_TAGS, METAL_PROCESS,
     WORDS("Sold as a pair on sterling silver ear wires.", "Lightweight enough to wear all day.",
           "They arrive in a small gift box."),
     JEWELRY_CARE, "finish", WORDS("Silver", "Gold", "Rose Gold"), 1600, 9500, 5, 20, 5, 1, 3, NULL, 0},
    {"bracelets", F_JEWELRY, 15, METAL_ADJ, METAL_MAT,
     WORDS("Cuff Bracelet", "Bangle", "Chain Bracelet", "Beaded Bracelet", "Charm Bracelet", "Anklet",
           "Wrap Bracelet"),
     WORDS("sterling silver", "copper", "brass", "glass beads"), JEWELRY_TAGS, METAL_PROCESS,
     WORDS("The cuff is adjustable to fit most wrists.", "Sold singly; they look lovely stacked.",
           "Measure your wrist snugly and add 1 cm for the right size."),
     JEWELRY_CARE, "size", WORDS("Small", "Medium", "Large"), 2200, 16000, 15, 90, 5, 1, 4, NULL, 0},

    /* Ceramics */
    {"vases", F_CERAMICS, 25, CERAMIC_ADJ, CERAMIC_MAT,
     WORDS("Bud Vase", "Bottle Vase", "Flower Vase", "Pitcher Vase", "Ikebana Vase", "Amphora", "Bud Vase Set",
           "Moon Jar"),
     CERAMIC_EXTRA, WORDS("vase", "flower vase", "home decor", "minimalist", "pottery", "housewarming gift",
                          "dried flowers", "ceramic vase"),
     CERAMIC_PROCESS,
     WORDS("It is fully watertight.", "It stands about 15 cm tall.", "Perfect for a single stem or dried grasses.",
           "A statement piece for branches and tall stems."),
     "Wash by hand; the glaze is watertight inside.", "glaze", CERAMIC_GLAZES, 2400, 14000, 250, 1800, 5, 2, 6,
     NULL, 0},
    {"mugs", F_CERAMICS, 40, CERAMIC_ADJ, CERAMIC_MAT,
     WORDS("Mug", "Coffee Mug", "Tea Cup", "Espresso Cup", "Latte Mug", "Tumbler", "Camp Mug", "Yunomi",
           "Travel Mug"),
     CERAMIC_EXTRA, WORDS("coffee mug", "tea cup", "handmade mug", "pottery mug", "kitchen", "gift for him",
                          "coffee lover", "ceramic mug"),
     CERAMIC_PROCESS,
     WORDS("It holds about 350 ml (12 oz).", "The pulled handle fits three fingers comfortably.",
           "Each one varies a little, which is the point.", "Sold singly; order two for a matching pair."),
     "Dishwasher and microwave safe.", "glaze", CERAMIC_GLAZES, 2400, 6800, 300, 600, 10, 2, 6,
     "Name or word to stamp into the clay (up to 12 letters)", 12},
    {"bowls", F_CERAMICS, 25, CERAMIC_ADJ, CERAMIC_MAT,
     WORDS("Ramen Bowl", "Serving Bowl", "Cereal Bowl", "Nesting Bowls", "Salad Bowl", "Dip Bowl", "Matcha Bowl",
           "Fruit Bowl", "Noodle Bowl"),
     CERAMIC_EXTRA, WORDS("bowl", "dinnerware", "kitchen", "serving bowl", "pottery", "housewarming gift",
                          "wedding gift", "ceramic bowl"),
     CERAMIC_PROCESS,
     WORDS("Wide enough for toppings, heavy enough to stay put.", "It is about 18 cm across.",
           "A set nests neatly for storage."),
     "Dishwasher and microwave safe.", "glaze", CERAMIC_GLAZES, 2200, 12000, 300, 2600, 10, 2, 6, NULL, 0},
    {"candles", F_CERAMICS, 10, WORDS("Hand-poured", "Scented", "Small-batch", "Rustic", "Minimalist", "Cozy"),
     WORDS("Soy Wax", "Beeswax", "Coconut Wax", "Stoneware", "Amber Glass", "Concrete"),
     WORDS("Soy Candle", "Pillar Candle", "Taper Candles", "Candle Tin", "Beeswax Candle", "Candle Holder",
           "Tealight Holder"),
     WORDS("cotton wick", "essential oils", "wood wick"),
     WORDS("candle", "scented candle", "home fragrance", "gift for her", "cozy", "hygge", "self care"),
     WORDS("poured by hand in small batches", "scented with essential oils only",
           "set in a vessel you can reuse as a planter"),
     WORDS("It burns for about 40 hours.", "Trim the wick to 5 mm before each burn.",
           "The vessel makes a good pen pot afterwards."),
     "Never leave a burning candle unattended.", "scent",
     WORDS("Cedar & Smoke", "Fig Leaf", "Sea Salt", "Lavender", "Orange Blossom"), 1400, 5200, 150, 700, 0, 1, 3,
     NULL, 0},

    /* Art */
    {"prints", F_ART, 50,
     WORDS("Hand-pulled", "Limited-edition", "Signed", "Minimalist", "Botanical", "Vintage-style", "Coastal",
           "Mid-century"),
     WORDS("Linocut", "Risograph", "Cyanotype", "Screen", "Woodcut", "Giclee", "Letterpress"),
     WORDS("Print", "Art Print", "Botanical Print", "Bird Print", "Map Print", "Poster", "Print Set"),
     WORDS("cotton paper", "washi paper", "recycled paper", "oil-based ink", "soy ink"),
     WORDS("wall art", "art print", "home decor", "gallery wall", "bird art", "botanical art", "gift for mom",
           "nursery decor"),
     WORDS("printed by hand on archival cotton paper", "carved and printed in a small studio",
           "signed and numbered in a limited edition"),
     WORDS("Shipped flat between boards.", "Frame not included.", "The image fills the sheet with a small border."),
     NULL, "size", WORDS("5 x 7 in", "8 x 10 in", "11 x 14 in", "A3"), 1500, 9000, 50, 300, 10, 1, 4,
     "City for your custom map (and neighbourhood, if you like)", 40},
    {"paintings", F_ART, 30,
     WORDS("Original", "Abstract", "Impressionist", "Miniature", "Custom", "Coastal", "Moody", "Bright"),
     WORDS("Watercolor", "Oil", "Acrylic", "Gouache", "Ink", "Pastel"),
     WORDS("Painting", "Landscape Painting", "Pet Portrait", "Seascape", "Still Life", "Portrait",
           "Abstract Painting", "Botanical Painting"),
     WORDS("canvas", "linen", "wood panel", "cotton paper"),
     WORDS("original art", "painting", "wall art", "custom portrait", "landscape", "home decor", "one of a kind"),
     WORDS("painted from life in the studio", "painted in thin, layered washes", "sealed and varnished for years of wear"),
     WORDS("One of a kind, signed on the back.", "Sold unframed and ready to frame.",
           "Commissions are painted from your photo."),
     NULL, NULL, NULL, 8000, 90000, 200, 2000, 25, 3, 21, "Upload a clear, well-lit photo to paint from", 0},
    {"sculpture", F_ART, 20, WORDS("Hand-sculpted", "Whimsical", "Folk Art", "Modern", "Small", "Abstract", "Rustic"),
     WORDS("Bronze", "Paper Mache", "Clay", "Driftwood", "Steel", "Porcelain"),
     WORDS("Bird Sculpture", "Figurine", "Wall Sculpture", "Animal Sculpture", "Mobile", "Bookends", "Totem"),
     WORDS("wire", "acrylic paint", "patina"),
     WORDS("sculpture", "shelf decor", "folk art", "bird lover", "collectible", "art object"),
     WORDS("sculpted by hand over a wire armature", "cast in a small foundry run", "painted by hand in many layers"),
     WORDS("It perches happily on a shelf edge.", "Each one is unique.", "Signed on the base."), NULL, NULL, NULL,
     3500, 40000, 100, 3000, 15, 3, 14, NULL, 0},

    /* Textiles */
    {"scarves-wraps", F_TEXTILES, 50,
     WORDS("Hand-dyed", "Handwoven", "Indigo-dyed", "Shibori", "Block-printed", "Naturally Dyed", "Lightweight",
           "Chunky"),
     WORDS("Silk", "Merino Wool", "Linen", "Cotton", "Alpaca", "Cashmere"),
     WORDS("Scarf", "Wrap", "Shawl", "Bandana", "Infinity Scarf", "Blanket Scarf", "Stole"),
     WORDS("natural indigo", "madder", "silk", "wool"),
     WORDS("scarf", "natural dye", "indigo", "gift for her", "winter", "shibori", "slow fashion", "handwoven"),
     TEXTILE_PROCESS,
     WORDS("It measures about 180 x 45 cm.", "Soft from the first wear, softer with every wash.",
           "Finished with a twisted fringe."),
     "Hand wash cold and dry flat.", "color", WORDS("Indigo", "Rust", "Charcoal", "Oatmeal", "Sage"), 3200, 16000,
     60, 450, 10, 2, 6, NULL, 0},
    {"knitwear", F_TEXTILES, 50,
     WORDS("Hand-knit", "Cable-knit", "Chunky", "Ribbed", "Fair Isle", "Cozy", "Oversized", "Fisherman"),
     WORDS("Merino Wool", "Alpaca", "Cotton", "Mohair", "Cashmere", "Wool"),
     WORDS("Sweater", "Cardigan", "Beanie", "Mittens", "Wool Socks", "Cowl", "Baby Blanket", "Pullover"),
     WORDS("wool", "nylon", "alpaca"),
     WORDS("hand knit", "knitwear", "winter", "cozy", "wool sweater", "gift for him", "slow fashion"),
     TEXTILE_PROCESS,
     WORDS("Made to order in your size.", "Warm without the itch.", "Allow a few weeks for a sweater."),
     "Hand wash cold and dry flat.", "size", WORDS("S", "M", "L", "XL"), 3000, 28000, 80, 1100, 35, 3, 28,
     NULL, 0},

    /* Woodwork */
    {"cutting-boards", F_WOOD, 40,
     WORDS("End-grain", "Edge-grain", "Live-edge", "Engraved", "Personalized", "Oiled", "Hand-shaped", "Rustic"),
     WOOD_MAT,
     WORDS("Cutting Board", "Cheese Board", "Charcuterie Board", "Butcher Block", "Bread Board", "Serving Paddle",
           "Serving Board"),
     WORDS("mineral oil", "beeswax", "walnut oil"),
     WORDS("cutting board", "kitchen", "wedding gift", "charcuterie", "housewarming gift", "wood", "cheese board"),
     WOOD_PROCESS,
     WORDS("Kind to knife edges.", "It has a juice groove on one side.", "Rubber feet keep it steady on the counter."),
     "Hand wash and oil it once a month.", "size", WORDS("Small", "Medium", "Large"), 3500, 22000, 600, 4500, 15, 2,
     7, "Family name to engrave (optional)", 20},
    {"spoons-utensils", F_WOOD, 35,
     WORDS("Hand-carved", "Green-wood", "Carved", "Oiled", "Rustic", "Whittled", "Minimalist"),
     WORDS("Cherry", "Walnut", "Birch", "Maple", "Olive Wood", "Beech"),
     WORDS("Wooden Spoon", "Serving Spoon", "Spatula", "Spurtle", "Coffee Scoop", "Salad Servers", "Butter Knife",
           "Ladle", "Cooking Spoon"),
     WORDS("walnut oil", "beeswax", "linseed oil"),
     WORDS("wooden spoon", "kitchen utensils", "carved spoon", "cooking", "gift for cook", "rustic kitchen"),
     WOOD_PROCESS,
     WORDS("Each one is unique.", "Reaches the bottom of any jar.", "The handle fits comfortably in the hand."),
     "Hand wash and oil now and then.", NULL, NULL, 1200, 6500, 30, 300, 10, 1, 4, NULL, 0},
    {"furniture", F_WOOD, 25,
     WORDS("Live-edge", "Dovetailed", "Mid-century", "Shaker-style", "Minimalist", "Rustic", "Solid"),
     WOOD_MAT,
     WORDS("Step Stool", "Floating Shelf", "Side Table", "Bench", "Coffee Table", "Plant Stand", "Wall Shelf",
           "Stool"),
     WORDS("hardwax oil", "steel", "brass"),
     WORDS("furniture", "wood furniture", "heirloom", "home decor", "shelf", "small space"),
     WOOD_PROCESS,
     WORDS("Made to order; allow a few weeks.", "Ships flat-packed with hardware included.",
           "Solid wood throughout, no veneers."),
     NULL, "size", WORDS("Small", "Medium", "Large"), 9000, 120000, 2000, 15000, 45, 5, 35, NULL, 0},

    /* Leather */
    {"wallets", F_LEATHER, 50,
     WORDS("Hand-stitched", "Minimalist", "Slim", "Embossed", "Personalized", "Rugged", "Classic"),
     WORDS("Full-grain Leather", "Vegetable-tanned Leather", "Bridle Leather", "Waxed Canvas", "Cork"),
     WORDS("Bifold Wallet", "Card Holder", "Coin Purse", "Passport Cover", "Key Fob", "Money Clip", "Zip Wallet"),
     WORDS("waxed linen", "brass", "leather"),
     WORDS("leather wallet", "gift for him", "minimalist wallet", "anniversary gift", "groomsmen gift", "edc"),
     LEATHER_PROCESS,
     WORDS("It holds four to six cards and folded bills.", "Slim enough for a front pocket.",
           "Develops a rich patina with use."),
     "Condition the leather once a year.", "color", WORDS("Tan", "Dark Brown", "Black", "Oxblood"), 1800, 9000, 20,
     200, 10, 1, 5, "Initials to emboss (optional, up to 3)", 3},
    {"totes-bags", F_LEATHER, 50,
     WORDS("Hand-stitched", "Everyday", "Oversized", "Woven", "Convertible", "Handmade", "Waxed"),
     WORDS("Waxed Canvas", "Leather", "Linen", "Cotton Canvas", "Jute", "Suede"),
     WORDS("Tote Bag", "Crossbody Bag", "Market Bag", "Backpack", "Messenger Bag", "Weekender", "Bucket Bag",
           "Clutch"),
     WORDS("leather", "brass", "copper rivets", "cotton lining"),
     WORDS("tote bag", "everyday bag", "market bag", "gift for her", "travel", "leather bag"),
     LEATHER_PROCESS,
     WORDS("An inside pocket keeps keys and phone handy.", "The strap is adjustable.",
           "Big enough for a laptop and lunch."),
     NULL, "color", WORDS("Natural", "Olive", "Black", "Tan"), 4500, 26000, 300, 1400, 15, 2, 7, NULL, 0},
};
const size_t seed__ncrafts = sizeof(seed__crafts) / sizeof(seed__crafts[0]);

/*-----------------------------------------------------------------------------
 * People, places, shop names
 */

const char *const seed__first_names[] = {
    "Ada",    "Ben",   "Clara",  "Diego",  "Elena", "Farah", "Gus",    "Hana",  "Ines",   "Jonah", "Kira",   "Leo",
    "Maya",   "Nadia", "Omar",   "Priya",  "Quinn", "Rosa",  "Sam",    "Tariq", "Uma",    "Vera",  "Wes",    "Yara",
    "Zoe",    "Amara", "Bruno",  "Chloe",  "Dara",  "Emil",  "Freya",  "Gabe",  "Hugo",   "Iris",  "Jade",   "Kai",
    "Lena",   "Milo",  "Nina",   "Owen",   "Pia",   "Rafa",  "Sofia",  "Theo",  "Ulla",   "Vik",   "Willa",  "Xavi",
    "Yusuf",  "Zara",  "Aiden",  "Bea",    "Cyrus", "Delia", "Eli",    "Fern",  "Grace",  "Henry", "Isla",   "Jasper",
    NULL,
};

const char *const seed__last_names[] = {
    "Park",    "Reyes",  "Walsh",  "Osei",    "Sato",   "Fischer", "Nair",   "Berg",   "Chen",   "Okafor",
    "Alvarez", "Brooks", "Cohen",  "Duarte",  "Ellis",  "Ferreira", "Gray",  "Hughes", "Ibrahim", "Jensen",
    "Kowalski", "Larsen", "Moreau", "Nguyen", "O'Brien", "Patel",  "Quinn",  "Rossi",  "Silva",  "Tanaka",
    "Ueda",    "Vance",  "Weber",  "Xu",      "Young",  "Zimmer",  "Abbott", "Bauer",  "Castro", "Dubois",
    NULL,
};

const char *const seed__cities[] = {
    "Portland, OR",  "Santa Fe, NM",   "Asheville, NC", "Oakland, CA",    "Brooklyn, NY",  "Austin, TX",
    "Seattle, WA",   "Minneapolis, MN", "Chicago, IL",  "Burlington, VT", "Boulder, CO",   "Savannah, GA",
    "Madison, WI",   "Providence, RI", "Tucson, AZ",    "Pittsburgh, PA", "Richmond, VA",  "Ann Arbor, MI",
    "Missoula, MT",  "Portland, ME",   "Bend, OR",      "Durham, NC",     "Taos, NM",      "Marfa, TX",
    NULL,
};

const char *const seed__shop_first[] = {
    "Juniper", "Willow", "Cedar",  "Birch",  "Fern",   "Moss",   "Sage",   "Clover", "Thistle", "Heron",
    "Wren",    "Fox",    "Hare",   "Moth",   "Tide",   "Ember",  "Flint",  "Slate",  "River",   "Meadow",
    "Hollow",  "Harbor", "North",  "Little", "Old",    "Golden", "Wild",   "Quiet",  "Copper",  "Indigo",
    "Salt",    "Stone",  "Bramble", "Lark",  "Otter",  "Pine",   "Rowan",  "Sparrow", "Tamarack", "Umber",
    NULL,
};

const char *const seed__shop_second[] = {
    "Ash",  "Oak",   "Thread", "Pine",  "Fern",  "Stone", "Moon", "Tide", "Hearth", "Field",
    "Wool", "Grain", "Bloom",  "Smoke", "Ember", "Reed",  "Wren", "Hill", "Sparrow", "Vine",
    NULL,
};

const char *const seed__title_extras[] = {
    " - Gift for Her", " - Gift for Him", ", Set of 2", " - Housewarming Gift", " - One of a Kind",
    " - Made to Last", ", Small Batch",   " - Anniversary Gift",
    NULL,
};

const char *const seed__generic_sentences[] = {
    "Every piece is made by hand in a small studio, so yours will vary slightly from the photos.",
    "Packed carefully in recycled materials and shipped with tracking.",
    "A thoughtful gift for someone who loves handmade things.",
    "Made in small batches to keep waste low.",
    "Questions about sizing or custom requests are always welcome.",
    "Photographed in natural light; colours may vary a little on screen.",
    "Gift wrapping is available on request.",
    "Made with materials sourced from small suppliers close to the studio.",
    NULL,
};

const char *const seed__buyer_bios[] = {
    "",
    "Collector of small, useful, beautiful things.",
    "Always hunting for the perfect gift.",
    "Home cook and weekend gardener.",
    "Plants, prints and pottery.",
    "Coffee first, then everything else.",
    NULL,
};

const char *const seed__processing_policies[] = {
    "Ready to ship in 1-3 business days.",
    "Made to order: ships within 1-2 weeks.",
    "Most orders ship within 5 business days.",
    "Ships within 3 business days; custom pieces take longer.",
    NULL,
};

const char *const seed__shipping_policies[] = {
    "Ships with tracking from the studio.",
    "Double-boxed with recycled padding.",
    "Free domestic shipping on orders over $75.",
    "Ships worldwide; customs fees are the buyer's.",
    NULL,
};

const char *const seed__vacation_messages[] = {
    "Away at a craft fair this month. Orders placed now ship when we return.",
    "The studio is closed for a short break. Back soon!",
    "On vacation until the kiln cools down. Thank you for your patience.",
    NULL,
};

/*-----------------------------------------------------------------------------
 * Reviews
 */

static const char *const reviews_1[] = {
    "Not what I expected from the photos, and it arrived damaged.",
    "Disappointed. The quality does not match the price.",
    "It took weeks longer than promised and the seller did not answer my messages.",
    NULL,
};

static const char *const reviews_2[] = {
    "Smaller than I expected and the finish is uneven.",
    "Pretty, but it did not hold up well after a few weeks.",
    "The colour is quite different from the listing.",
    NULL,
};

static const char *const reviews_3[] = {
    "It is fine. Nicely made, though a little pricey for what it is.",
    "Good quality but shipping was slow.",
    "Nice piece, but not quite what I pictured.",
    "Does the job. The packaging could have been better.",
    NULL,
};

static const char *const reviews_4[] = {
    "Lovely work and well packed. A little smaller than I expected.",
    "Really nice quality. Took a few extra days to arrive but worth it.",
    "Beautiful, and I use it every day. One tiny flaw, which I do not mind.",
    "Very happy with it. The seller was quick to answer my questions.",
    NULL,
};

static const char *const reviews_5[] = {
    "Absolutely love it. Even better in person.",
    "Beautiful craftsmanship and it arrived quickly, wrapped with care.",
    "My second order from this shop and just as lovely as the first.",
    "Perfect gift: my sister cried when she opened it.",
    "Exactly as described, and you can tell it was made with love.",
    "Stunning. I get compliments every time.",
    "Heirloom quality. I will be back for more.",
    NULL,
};

const char *const *const seed__review_bodies[5] = {reviews_1, reviews_2, reviews_3, reviews_4, reviews_5};

const char *const seed__seller_replies[] = {
    "Thank you so much for the kind words!",
    "So glad it found a good home. Thank you!",
    "Thanks for the honest feedback; I have sent you a message to make it right.",
    "Thank you! It was a joy to make.",
    NULL,
};
