/*
 * seed.c — the demo catalogue loaded by `artistry seed --demo`.
 *
 * The data are static tables below (users, shops, categories, products,
 * variants, personalisation questions, reviews); rows refer to each other by
 * a short key (category slug, product key) or an index, and get fixed ids
 * made from a per-table number (demo_id), so a second run finds the same ids.
 * All SQL sits in seed_sql[], parameters only, every INSERT is
 * ON CONFLICT DO NOTHING (accepted by SQLite and PostgreSQL alike).
 *
 * Reviews need an order item (one review per order item), so each review
 * comes with a completed one-item order. Product and shop counters
 * (rating_sum, rating_count, sales_count) are computed from those reviews
 * and orders before the rows are written, so they agree with the data.
 *
 * Caveats:
 *   - The demo orders have no payment, escrow or ledger rows: they show up
 *     in order histories and carry reviews, nothing more.
 *   - Products have no images (no media files ship with the binary).
 *   - Demo users have password_hash NULL. Logging in as them is for the
 *     identity module to provide (e.g. a password reset).
 */
#include "cli/seed.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "platform/versions.h"

#define DAY_MS (24LL * 60 * 60 * 1000)
#define HOUR_MS (60LL * 60 * 1000)
#define SEED_CURRENCY "USD"
#define SEED_COMMISSION_BPS 1000 /* what the demo orders were sold at */
#define ID_BUF 48
#define JSON_BUF 1024

/*-----------------------------------------------------------------------------
 * SQL
 */

enum seed_q {
    Q_MARKER,
    Q_USER,
    Q_APPLICATION,
    Q_SHOP,
    Q_RATE_TABLE,
    Q_RATE,
    Q_CATEGORY,
    Q_PRODUCT,
    Q_PRODUCT_TAG,
    Q_PRODUCT_MATERIAL,
    Q_VARIANT,
    Q_QUESTION,
    Q_ORDER,
    Q_ORDER_ITEM,
    Q_ORDER_HISTORY,
    Q_REVIEW,
    Q__COUNT
};

static const char *const seed_sql[Q__COUNT] = {
    [Q_MARKER] = "SELECT 1 FROM users WHERE id = $1",
    [Q_USER] = "INSERT INTO users (id, email, email_normalized, display_name, role, status, email_verified_at,"
               " bio, location, preferences, created_at, updated_at)"
               " VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, $8, '{}', $6, $6)"
               " ON CONFLICT DO NOTHING",
    [Q_APPLICATION] = "INSERT INTO seller_applications (id, user_id, shop_name, about, country, status,"
                      " reviewed_by, reviewed_at, created_at, updated_at)"
                      " VALUES ($1, $2, $3, $4, $5, 'approved', $6, $7, $8, $7)"
                      " ON CONFLICT DO NOTHING",
    [Q_SHOP] = "INSERT INTO shops (id, seller_id, slug, name, tagline, description, policies, country, currency,"
               " status, accepts_custom_orders, rating_sum, rating_count, sales_count, created_at, updated_at)"
               " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'active', $10, $11, $12, $13, $14, $14)"
               " ON CONFLICT DO NOTHING",
    [Q_RATE_TABLE] = "INSERT INTO shipping_rate_tables (id, seller_id, shop_id, name, basis, currency, origin_country,"
                     " is_default, created_at, updated_at)"
                     " VALUES ($1, $2, $3, 'Standard shipping', 'quantity', $4, $5, 1, $6, $6)"
                     " ON CONFLICT DO NOTHING",
    [Q_RATE] = "INSERT INTO shipping_rates (id, table_id, seller_id, zone, min_value, max_value, amount,"
               " additional_item_amount, free_over_amount, currency, min_days, max_days, created_at, updated_at)"
               " VALUES ($1, $2, $3, $4, 1, NULL, $5, $6, $7, $8, $9, $10, $11, $11)"
               " ON CONFLICT DO NOTHING",
    [Q_CATEGORY] = "INSERT INTO categories (id, parent_id, slug, path, name, description, depth, position,"
                   " is_active, created_at, updated_at)"
                   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9)"
                   " ON CONFLICT DO NOTHING",
    [Q_PRODUCT] = "INSERT INTO products (id, seller_id, shop_id, category_id, shipping_rate_table_id, slug, title,"
                  " description, price_amount, currency, status, stock, made_to_order, processing_days, who_made,"
                  " is_personalizable, weight_grams, tags, materials, rating_sum, rating_count, wishlist_count,"
                  " view_count, sales_count, published_at, created_at, updated_at)"
                  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'active', $11, $12, $13, 'i_did', $14, $15,"
                  " $16, $17, $18, $19, 0, $20, $21, $22, $22, $22)"
                  " ON CONFLICT DO NOTHING",
    [Q_PRODUCT_TAG] = "INSERT INTO product_tags (product_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    [Q_PRODUCT_MATERIAL] = "INSERT INTO product_materials (product_id, material) VALUES ($1, $2)"
                           " ON CONFLICT DO NOTHING",
    [Q_VARIANT] = "INSERT INTO product_variants (id, product_id, name, sku, options, price_modifier_amount, stock,"
                  " position, is_active, created_at, updated_at)"
                  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9)"
                  " ON CONFLICT DO NOTHING",
    [Q_QUESTION] = "INSERT INTO product_personalization_questions (id, product_id, position, prompt, kind,"
                   " max_length, required, created_at, updated_at)"
                   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)"
                   " ON CONFLICT DO NOTHING",
    [Q_ORDER] = "INSERT INTO orders (id, checkout_id, buyer_id, seller_id, shop_id, status, subtotal_amount,"
                " shipping_amount, tax_amount, discount_amount, total_amount, refunded_amount, fee_amount, currency,"
                " commission_bps, shipping_address, carrier, tracking_number, paid_at, shipped_at, delivered_at,"
                " completed_at, created_at, updated_at)"
                " VALUES ($1, NULL, $2, $3, $4, 'completed', $5, 0, 0, 0, $5, 0, $6, $7, $8, $9, 'USPS', $10,"
                " $11, $12, $13, $14, $11, $14)"
                " ON CONFLICT DO NOTHING",
    [Q_ORDER_ITEM] = "INSERT INTO order_items (id, order_id, product_id, variant_id, title, variant_name, sku,"
                     " unit_price_amount, quantity, line_total_amount, currency, personalization, created_at)"
                     " VALUES ($1, $2, $3, NULL, $4, NULL, NULL, $5, 1, $5, $6, '{}', $7)"
                     " ON CONFLICT DO NOTHING",
    [Q_ORDER_HISTORY] = "INSERT INTO order_status_history (id, order_id, from_status, to_status, actor_id, note,"
                        " created_at)"
                        " VALUES ($1, $2, $3, $4, NULL, NULL, $5)"
                        " ON CONFLICT DO NOTHING",
    [Q_REVIEW] = "INSERT INTO reviews (id, product_id, order_item_id, buyer_id, seller_id, shop_id, rating, body,"
                 " media_ids, status, seller_reply, reply_at, created_at, updated_at)"
                 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '[]', 'published', $9, $10, $11, $11)"
                 " ON CONFLICT DO NOTHING",
};

/*-----------------------------------------------------------------------------
 * Data
 */

struct demo_user {
    const char *email;
    const char *name;
    const char *role;
    const char *bio;
    const char *location;
    const char *address_json; /* shipping address used on demo orders (buyers) */
};

/* Index 0 is the admin (and the idempotency marker), 1-4 buyers, 5-10 sellers. */
enum { U_ADMIN = 0, U_MAYA, U_JONAS, U_PRIYA, U_SAM, U_FIRST_SELLER };

static const struct demo_user demo_users[] = {
    {"admin@example.com", "Ada Admin", "admin", "Keeps the lights on at Artistry Cart.", "Remote", NULL},
    {"maya.chen@example.com", "Maya Chen", "buyer", "Collector of mugs and small joys.", "Seattle, WA",
     "{\"name\":\"Maya Chen\",\"line1\":\"1420 Pine St\",\"line2\":\"Apt 5\",\"city\":\"Seattle\","
     "\"region\":\"WA\",\"postal_code\":\"98101\",\"country\":\"US\"}"},
    {"jonas.berg@example.com", "Jonas Berg", "buyer", "Home cook, weekend woodworker.", "Minneapolis, MN",
     "{\"name\":\"Jonas Berg\",\"line1\":\"88 Lake St\",\"city\":\"Minneapolis\",\"region\":\"MN\","
     "\"postal_code\":\"55408\",\"country\":\"US\"}"},
    {"priya.nair@example.com", "Priya Nair", "buyer", "Plants, prints and pottery.", "Austin, TX",
     "{\"name\":\"Priya Nair\",\"line1\":\"2100 S Congress Ave\",\"city\":\"Austin\",\"region\":\"TX\","
     "\"postal_code\":\"78704\",\"country\":\"US\"}"},
    {"sam.okafor@example.com", "Sam Okafor", "buyer", "Always hunting for the perfect gift.", "Chicago, IL",
     "{\"name\":\"Sam Okafor\",\"line1\":\"455 N Clark St\",\"city\":\"Chicago\",\"region\":\"IL\","
     "\"postal_code\":\"60654\",\"country\":\"US\"}"},
    {"elena@juniperash.example.com", "Elena Park", "seller", "Potter working in speckled stoneware and soft glazes.",
     "Portland, OR", NULL},
    {"tomas@silverfern.example.com", "Tomas Reyes", "seller", "Silversmith. Recycled metals, stones from small mines.",
     "Santa Fe, NM", NULL},
    {"liam@oakandthread.example.com", "Liam Walsh", "seller", "Furniture maker turned spoon carver (and back again).",
     "Asheville, NC", NULL},
    {"amara@indigoloom.example.com", "Amara Osei", "seller", "Weaver and natural dyer. Indigo vats in the backyard.",
     "Oakland, CA", NULL},
    {"hana@papermoon.example.com", "Hana Sato", "seller", "Printmaker and illustrator: linocut, risograph, cyanotype.",
     "Brooklyn, NY", NULL},
    {"noah@copperline.example.com", "Noah Fischer", "seller", "Leatherworker. Hand-stitched goods built to age well.",
     "Austin, TX", NULL},
};
#define N_USERS (sizeof(demo_users) / sizeof(demo_users[0]))

struct demo_shop {
    int seller; /* index into demo_users */
    const char *slug;
    const char *name;
    const char *tagline;
    const char *description;
    const char *policies_json;
    int accepts_custom_orders;
};

static const struct demo_shop demo_shops[] = {
    {U_FIRST_SELLER + 0, "juniper-and-ash-ceramics", "Juniper & Ash Ceramics",
     "Wheel-thrown stoneware for everyday rituals",
     "Small-batch pottery made in a converted garage studio in Portland. Every piece is thrown on the wheel, "
     "trimmed by hand and glazed with food-safe glazes mixed in the studio.",
     "{\"returns\":\"Returns accepted within 30 days of delivery.\",\"shipping\":\"Double-boxed with recycled "
     "padding.\",\"care\":\"Dishwasher and microwave safe unless noted.\"}",
     1},
    {U_FIRST_SELLER + 1, "silver-fern-studio", "Silver Fern Studio", "Botanical jewelry in recycled silver",
     "Jewelry cast and fabricated from recycled sterling silver and brass, inspired by the high desert. "
     "Stones are sourced from small family mines.",
     "{\"returns\":\"Returns accepted within 14 days (not on engraved pieces).\",\"shipping\":\"Ships in a gift "
     "box.\"}",
     1},
    {U_FIRST_SELLER + 2, "oak-and-thread-woodworks", "Oak & Thread Woodworks", "Heirloom kitchenware and furniture",
     "Hardwood boards, carved utensils and small furniture made from locally milled walnut, cherry and maple, "
     "finished with food-safe oil and beeswax.",
     "{\"returns\":\"Returns accepted within 30 days. Custom furniture is final sale.\",\"care\":\"Hand wash, "
     "oil monthly.\"}",
     1},
    {U_FIRST_SELLER + 3, "indigo-loom", "Indigo Loom", "Naturally dyed, hand-woven textiles",
     "Scarves, wraps and knitwear dyed in living indigo vats and woven on a floor loom. Fibers are "
     "traceable merino, alpaca and silk.",
     "{\"returns\":\"Exchanges within 30 days.\",\"care\":\"Hand wash cold, dry flat.\"}", 0},
    {U_FIRST_SELLER + 4, "paper-moon-prints", "Paper Moon Prints", "Prints and originals from a tiny studio",
     "Hand-pulled linocuts, risograph prints and original paintings. Archival papers and inks, signed and "
     "numbered editions.",
     "{\"returns\":\"Returns accepted within 14 days for prints. Originals and commissions are final sale.\","
     "\"shipping\":\"Shipped flat between boards or rolled in a tube.\"}",
     1},
    {U_FIRST_SELLER + 5, "copperline-leather", "Copperline Leather", "Hand-stitched leather goods",
     "Wallets, bags and accessories cut from vegetable-tanned leather and saddle-stitched by hand with waxed "
     "linen thread.",
     "{\"returns\":\"Returns accepted within 30 days (not on personalized items).\",\"warranty\":\"Stitching "
     "guaranteed for life.\"}",
     0},
};
#define N_SHOPS (sizeof(demo_shops) / sizeof(demo_shops[0]))

struct demo_category {
    const char *slug;
    const char *name;
    const char *parent; /* parent slug, NULL for a root; parents come first */
    const char *description;
};

static const struct demo_category demo_categories[] = {
    {"jewelry", "Jewelry", NULL, "Handmade necklaces, rings, earrings and bracelets."},
    {"necklaces", "Necklaces", "jewelry", "Pendants, chains and beaded necklaces."},
    {"rings", "Rings", "jewelry", "Stacking rings, signets and statement rings."},
    {"earrings", "Earrings", "jewelry", "Studs, hoops and dangles."},
    {"bracelets", "Bracelets", "jewelry", "Cuffs, bangles and chain bracelets."},
    {"home-living", "Home & Living", NULL, "Pieces that make a house a home."},
    {"ceramics", "Ceramics", "home-living", "Wheel-thrown and hand-built pottery."},
    {"vases", "Vases", "ceramics", "Bud vases to statement vessels."},
    {"mugs", "Mugs", "ceramics", "Mugs and cups for coffee and tea."},
    {"bowls", "Bowls", "ceramics", "Serving, ramen and everyday bowls."},
    {"candles", "Candles", "home-living", "Hand-poured candles and holders."},
    {"art", "Art & Collectibles", NULL, "Original art, prints and sculpture."},
    {"prints", "Prints", "art", "Linocuts, risograph and giclee prints."},
    {"paintings", "Paintings", "art", "Original paintings and commissions."},
    {"sculpture", "Sculpture", "art", "Small sculpture in paper, clay and metal."},
    {"clothing", "Clothing", NULL, "Handmade and hand-dyed clothing."},
    {"scarves-wraps", "Scarves & Wraps", "clothing", "Woven and dyed scarves and wraps."},
    {"knitwear", "Knitwear", "clothing", "Hand-knit sweaters, hats and socks."},
    {"woodwork", "Woodwork", NULL, "Furniture and kitchenware in solid wood."},
    {"cutting-boards", "Cutting Boards", "woodwork", "End-grain and edge-grain boards."},
    {"spoons-utensils", "Spoons & Utensils", "woodwork", "Carved spoons, spatulas and scoops."},
    {"furniture", "Furniture", "woodwork", "Stools, shelves and small tables."},
    {"bags-leather", "Bags & Leather", NULL, "Leather goods and bags."},
    {"wallets", "Wallets", "bags-leather", "Bifolds, card holders and coin purses."},
    {"totes-bags", "Totes & Bags", "bags-leather", "Totes, crossbody and market bags."},
};
#define N_CATEGORIES (sizeof(demo_categories) / sizeof(demo_categories[0]))

struct demo_product {
    const char *key; /* referenced by variants, questions and reviews */
    int shop;        /* index into demo_shops */
    const char *category;
    const char *title;
    const char *description;
    int64_t price; /* minor units */
    int stock;
    int made_to_order;
    int processing_days;
    int weight_grams;
    int views;
    const char *tags;      /* comma-separated, lowercase */
    const char *materials; /* comma-separated, lowercase */
};

static const struct demo_product demo_products[] = {
    /* Juniper & Ash Ceramics */
    {"vase-bud", 0, "vases", "Speckled Stoneware Bud Vase",
     "A small bud vase thrown from speckled stoneware and dipped in a satin white glaze that breaks to "
     "toasted brown at the rim. Holds a single stem or a few dried grasses. About 4 in tall.",
     3400, 12, 0, 3, 350, 412, "bud vase,speckled,minimalist,flower vase,gift", "stoneware,glaze"},
    {"vase-moon", 0, "vases", "Tall Moon Glaze Vase",
     "A tall bottle-neck vase finished in a layered blue glaze that pools like moonlight in the throwing "
     "lines. A statement piece for branches and tall stems. About 12 in tall. Watertight.",
     8900, 4, 0, 3, 1400, 230, "tall vase,blue,moon glaze,statement,home decor", "stoneware,glaze"},
    {"mug-everyday", 0, "mugs", "Hand-Thrown Everyday Mug, 12 oz",
     "Our most loved mug: a comfortable pulled handle, a slightly flared lip and a generous 12 oz capacity. "
     "Choose your glaze. Each one varies a little, which is the point.",
     3800, 20, 0, 3, 450, 988, "coffee mug,tea cup,handmade mug,gift,kitchen", "stoneware,food-safe glaze"},
    {"mug-name", 0, "mugs", "Personalized Name Mug",
     "An everyday mug with a name or short word hand-stamped into the clay before firing, so it never wears "
     "off. Made to order in speckled white.",
     4600, 25, 1, 10, 450, 356, "personalized mug,name mug,custom gift,coffee mug", "stoneware,food-safe glaze"},
    {"bowl-ramen", 0, "bowls", "Large Ramen Bowl with Chopstick Rest",
     "A deep 7 in bowl made for noodle soups, with a matching chopstick rest. Wide enough for toppings, "
     "heavy enough to stay put.",
     5200, 8, 0, 3, 900, 301, "ramen bowl,noodle bowl,kitchen,dinnerware", "stoneware,food-safe glaze"},
    {"bowl-nesting", 0, "bowls", "Set of 3 Nesting Serving Bowls",
     "Three serving bowls (5, 7 and 9 in) that nest for storage. Glazed in a soft oatmeal inside with raw "
     "speckled clay outside.",
     11800, 3, 0, 5, 2600, 177, "serving bowls,nesting bowls,dinnerware,housewarming", "stoneware,food-safe glaze"},
    {"candle-vessel", 0, "candles", "Soy Candle in Hand-Thrown Vessel",
     "Hand-poured soy wax with a cotton wick in a small thrown cup you can reuse as a planter or "
     "pen pot. About 40 hours of burn time.",
     3600, 15, 0, 2, 400, 522, "soy candle,candle,planter,gift,scented", "soy wax,stoneware,cotton wick"},
    {"ring-dish", 0, "ceramics", "Hand-Painted Ceramic Ring Dish",
     "A tiny trinket dish for rings and earrings, hand-painted with a fern motif in cobalt blue.", 1800, 30, 0, 2, 120,
     640, "ring dish,trinket dish,jewelry dish,gift", "porcelain,cobalt,glaze"},

    /* Silver Fern Studio */
    {"neck-fern", 1, "necklaces", "Sterling Silver Fern Leaf Pendant",
     "A fern frond cast from a real leaf in recycled sterling silver, oxidized to bring out every vein, on "
     "a fine cable chain. Choose your chain length.",
     6800, 10, 0, 3, 30, 870, "fern necklace,botanical jewelry,silver pendant,nature", "sterling silver"},
    {"neck-turquoise", 1, "necklaces", "Raw Turquoise Bar Necklace",
     "A raw turquoise nugget set in a hand-soldered silver bezel, hung from a delicate chain. Every stone is "
     "one of a kind.",
     7400, 6, 0, 3, 30, 455, "turquoise,gemstone necklace,southwest,boho", "sterling silver,turquoise"},
    {"ring-stack", 1, "rings", "Hammered Stacking Ring, Recycled Sterling",
     "A thin hammered band that catches the light. Wear one alone or stack a few. 1.5 mm wide.", 2800, 30, 0, 2, 10,
     1204, "stacking ring,minimalist,hammered,silver ring", "recycled sterling silver"},
    {"ring-signet", 1, "rings", "Engraved Initial Signet Ring",
     "A solid oval signet ring hand-engraved with up to three initials in a classic serif. Made to order in "
     "your size.",
     12500, 20, 1, 7, 15, 733, "signet ring,engraved ring,initial ring,personalized", "sterling silver"},
    {"ear-hoop", 1, "earrings", "Brass Crescent Hoop Earrings",
     "Lightweight hammered brass crescents on sterling silver ear wires. Warm, golden and easy to wear "
     "every day.",
     3200, 18, 0, 2, 10, 690, "hoop earrings,brass,crescent,boho", "brass,sterling silver"},
    {"ear-opal", 1, "earrings", "Tiny Opal Stud Earrings, 14k Gold Fill",
     "Three-millimetre lab opals in a 14k gold-filled setting. Flashes of blue and green that suit any day.", 4200, 14,
     0, 2, 5, 512, "opal studs,stud earrings,dainty,october birthstone", "gold fill,opal"},
    {"cuff-oxidized", 1, "bracelets", "Oxidized Silver Cuff Bracelet",
     "A wide cuff forged from heavy-gauge sterling, textured with a cross-peen hammer and oxidized dark. "
     "Adjustable.",
     9600, 5, 0, 3, 45, 288, "cuff bracelet,silver cuff,statement,unisex", "sterling silver"},
    {"bangle-copper", 1, "bracelets", "Hammered Copper Bangle Set",
     "Three stacking bangles in solid copper, each hammered by hand and sealed against tarnish.", 3900, 12, 0, 2, 60,
     341, "bangle,copper,stacking bracelet,boho", "copper"},

    /* Oak & Thread Woodworks */
    {"board-walnut", 2, "cutting-boards", "End-Grain Walnut Cutting Board",
     "A thick end-grain board in black walnut that is kind to knife edges and heals its own cuts. Juice "
     "groove and rubber feet. Finished with mineral oil and beeswax.",
     14500, 6, 0, 5, 3200, 760, "cutting board,butcher block,walnut,kitchen,wedding gift",
     "black walnut,mineral oil,beeswax"},
    {"board-cheese", 2, "cutting-boards", "Cherry Wood Cheese Board with Handle",
     "A paddle-shaped serving board in cherry, perfect for cheese and charcuterie. Optional engraving.", 6200, 9, 0, 4,
     900, 498, "cheese board,charcuterie,serving board,personalized", "cherry,beeswax"},
    {"spoon-set", 2, "spoons-utensils", "Hand-Carved Cherry Spoon Set of 3",
     "A cooking spoon, a stirring spoon and a small tasting spoon, carved green with an axe and knife, then "
     "dried and oiled. Each set is unique.",
     5400, 11, 0, 3, 200, 615, "wooden spoon,carved spoon,kitchen utensils,gift set", "cherry,walnut oil"},
    {"spurtle", 2, "spoons-utensils", "Maple Sourdough Spurtle",
     "A slim maple spurtle for stirring sourdough starter and porridge. Reaches the bottom of any jar.", 2200, 25, 0, 2,
     60, 402, "spurtle,sourdough,baking,kitchen", "hard maple"},
    {"stool-walnut", 2, "furniture", "Walnut Step Stool with Dovetail Joinery",
     "A sturdy two-step stool in solid walnut, joined with hand-cut dovetails and no metal fasteners. Made "
     "to order.",
     32000, 2, 1, 21, 5500, 220, "step stool,walnut furniture,dovetail,heirloom", "black walnut,hardwax oil"},
    {"shelf-oak", 2, "furniture", "Floating Live-Edge Oak Shelf",
     "A white oak shelf with its natural live edge, mounted on a hidden steel bracket. 30 in wide.", 18500, 4, 0, 7,
     4200, 184, "floating shelf,live edge,oak,wall shelf", "white oak,steel"},

    /* Indigo Loom */
    {"scarf-shibori", 3, "scarves-wraps", "Hand-Dyed Indigo Shibori Silk Scarf",
     "A silk crepe scarf folded, clamped and dipped in a natural indigo vat to make a crisp geometric "
     "itajime pattern. 70 x 18 in.",
     5800, 12, 0, 3, 60, 577, "silk scarf,indigo,shibori,natural dye", "silk,natural indigo"},
    {"wrap-merino", 3, "scarves-wraps", "Handwoven Merino Wool Wrap",
     "A generous wrap woven on a floor loom in soft merino with a twill pattern and twisted fringe.", 12800, 5, 0, 5,
     350, 365, "wool wrap,handwoven,shawl,winter", "merino wool"},
    {"sweater-fisherman", 3, "knitwear", "Chunky Hand-Knit Fisherman Sweater",
     "A classic cabled fisherman sweater knit by hand in undyed wool. Made to order in your size; allow "
     "four weeks.",
     24000, 3, 1, 28, 1100, 240, "hand knit sweater,cable knit,fisherman,wool sweater", "wool"},
    {"beanie-alpaca", 3, "knitwear", "Ribbed Alpaca Beanie",
     "A soft ribbed beanie in baby alpaca with a fold-over brim. Warm without the itch.", 4200, 20, 0, 2, 90, 451,
     "beanie,alpaca,winter hat,knit hat", "baby alpaca"},
    {"socks-wool", 3, "knitwear", "Hand-Knit Wool House Socks",
     "Thick house socks knit in sturdy wool with reinforced heels. Sizes to order.", 3600, 15, 0, 5, 120, 298,
     "wool socks,house socks,cozy,hand knit", "wool,nylon"},
    {"kimono-block", 3, "clothing", "Block-Printed Cotton Kimono Robe",
     "A lightweight robe in cotton voile, hand block-printed with an indigo leaf pattern. One size.", 9800, 7, 0, 4,
     300, 334, "kimono,robe,block print,loungewear", "cotton,natural indigo"},

    /* Paper Moon Prints */
    {"print-heron", 4, "prints", "Blue Heron Linocut Print",
     "A hand-carved, hand-pulled linocut of a great blue heron in the reeds, printed in two blues on "
     "cotton paper. Signed and numbered, edition of 50.",
     4500, 20, 0, 3, 150, 702, "linocut,heron,bird print,wall art", "cotton paper,oil-based ink"},
    {"print-citymap", 4, "prints", "Risograph City Map Print, Custom City",
     "A two-color risograph map of the city of your choice. Great for a move or an anniversary.", 3800, 40, 1, 7, 120,
     544, "city map,custom map,risograph,personalized print", "recycled paper,soy ink"},
    {"print-cyanotype", 4, "prints", "Botanical Cyanotype Print Set of 3",
     "Three sun prints of ferns and grasses made the old-fashioned way, in deep Prussian blue. 8 x 10 in.", 5200, 10, 0,
     3, 180, 389, "cyanotype,botanical print,fern,print set", "watercolor paper,cyanotype"},
    {"painting-seascape", 4, "paintings", "Original Watercolor Seascape, 9 x 12",
     "An original watercolor of fog lifting over the Maine coast. One of a kind, unframed.", 21000, 1, 0, 2, 200, 158,
     "original painting,watercolor,seascape,coastal", "watercolor,cotton paper"},
    {"portrait-pet", 4, "paintings", "Custom Pet Portrait in Gouache",
     "A hand-painted portrait of your pet in gouache on an 8 x 10 in panel, painted from your photo.", 16500, 10, 1, 14,
     300, 910, "pet portrait,custom portrait,dog portrait,cat portrait", "gouache,wood panel"},
    {"sculpture-songbird", 4, "sculpture", "Paper Mache Songbird Sculpture",
     "A small songbird sculpted in paper mache over wire and painted by hand. Perches on a shelf edge.", 7800, 3, 0, 5,
     90, 211, "bird sculpture,paper mache,folk art,shelf decor", "paper,wire,acrylic paint"},

    /* Copperline Leather */
    {"wallet-bifold", 5, "wallets", "Minimalist Leather Bifold Wallet",
     "Four card slots and a bill pocket in full-grain vegetable-tanned leather, saddle-stitched by hand. "
     "Optional embossed initials.",
     6500, 14, 0, 3, 80, 833, "leather wallet,bifold,minimalist,mens gift", "vegetable-tanned leather,waxed linen"},
    {"cardholder", 5, "wallets", "Slim Card Holder, Vegetable-Tanned Leather",
     "A front-pocket card holder that fits six cards and a folded bill.", 3400, 22, 0, 2, 30, 540,
     "card holder,slim wallet,leather,gift", "vegetable-tanned leather,waxed linen"},
    {"tote-market", 5, "totes-bags", "Leather and Canvas Market Tote",
     "Heavy waxed canvas with leather handles riveted and stitched to carry a full load of groceries.", 13800, 6, 0, 5,
     700, 402, "tote bag,market bag,canvas tote,everyday bag", "waxed canvas,leather,copper rivets"},
    {"bag-crossbody", 5, "totes-bags", "Small Crossbody Saddle Bag",
     "A compact saddle bag with an adjustable strap and a solid brass buckle. Fits a phone, keys and a "
     "wallet.",
     16800, 4, 0, 7, 500, 377, "crossbody bag,saddle bag,leather purse", "vegetable-tanned leather,brass"},
    {"key-fob", 5, "bags-leather", "Brass and Leather Key Fob",
     "A loop of bridle leather with a solid brass clip. Small, tough, and a good stocking stuffer.", 1800, 40, 0, 2, 25,
     266, "key fob,keychain,stocking stuffer,leather", "bridle leather,brass"},
    {"journal-cover", 5, "bags-leather", "Refillable Leather Journal Cover, A5",
     "A wraparound journal cover with a pen loop and card pocket, sized for A5 notebooks. Refills included.", 5600, 9,
     0, 3, 300, 312, "journal cover,notebook,travel journal,refillable", "vegetable-tanned leather,paper"},
};
#define N_PRODUCTS (sizeof(demo_products) / sizeof(demo_products[0]))

struct demo_variant {
    const char *product;
    const char *name;
    const char *sku;
    const char *options_json;
    int64_t modifier; /* added to the product price, may be negative */
    int stock;
};

static const struct demo_variant demo_variants[] = {
    {"mug-everyday", "Speckled White", "JA-MUG-WHT", "{\"glaze\":\"Speckled White\"}", 0, 8},
    {"mug-everyday", "Sea Glass", "JA-MUG-SEA", "{\"glaze\":\"Sea Glass\"}", 0, 7},
    {"mug-everyday", "Charcoal", "JA-MUG-CHR", "{\"glaze\":\"Charcoal\"}", 0, 5},
    {"candle-vessel", "Cedar & Smoke", "JA-CDL-CED", "{\"scent\":\"Cedar & Smoke\"}", 0, 6},
    {"candle-vessel", "Fig Leaf", "JA-CDL-FIG", "{\"scent\":\"Fig Leaf\"}", 0, 5},
    {"candle-vessel", "Sea Salt", "JA-CDL-SEA", "{\"scent\":\"Sea Salt\"}", 0, 4},
    {"neck-fern", "16 in chain", "SF-FERN-16", "{\"chain_length\":\"16 in\"}", 0, 3},
    {"neck-fern", "18 in chain", "SF-FERN-18", "{\"chain_length\":\"18 in\"}", 0, 4},
    {"neck-fern", "20 in chain", "SF-FERN-20", "{\"chain_length\":\"20 in\"}", 500, 3},
    {"ring-stack", "Size 5", "SF-STK-5", "{\"size\":\"5\"}", 0, 5},
    {"ring-stack", "Size 6", "SF-STK-6", "{\"size\":\"6\"}", 0, 7},
    {"ring-stack", "Size 7", "SF-STK-7", "{\"size\":\"7\"}", 0, 8},
    {"ring-stack", "Size 8", "SF-STK-8", "{\"size\":\"8\"}", 0, 6},
    {"ring-stack", "Size 9", "SF-STK-9", "{\"size\":\"9\"}", 0, 4},
    {"board-walnut", "Medium, 12 x 16 in", "OT-BRD-M", "{\"size\":\"12 x 16 in\"}", 0, 4},
    {"board-walnut", "Large, 14 x 20 in", "OT-BRD-L", "{\"size\":\"14 x 20 in\"}", 4500, 2},
    {"wrap-merino", "Charcoal", "IL-WRP-CHR", "{\"color\":\"Charcoal\"}", 0, 2},
    {"wrap-merino", "Oatmeal", "IL-WRP-OAT", "{\"color\":\"Oatmeal\"}", 0, 2},
    {"wrap-merino", "Rust", "IL-WRP-RST", "{\"color\":\"Rust\"}", 0, 1},
    {"sweater-fisherman", "Small", "IL-SWT-S", "{\"size\":\"S\"}", 0, 1},
    {"sweater-fisherman", "Medium", "IL-SWT-M", "{\"size\":\"M\"}", 0, 1},
    {"sweater-fisherman", "Large", "IL-SWT-L", "{\"size\":\"L\"}", 2000, 1},
    {"print-heron", "A4 (8.3 x 11.7 in)", "PM-HRN-A4", "{\"size\":\"A4\"}", 0, 12},
    {"print-heron", "A3 (11.7 x 16.5 in)", "PM-HRN-A3", "{\"size\":\"A3\"}", 2000, 8},
    {"wallet-bifold", "Tan", "CL-BIF-TAN", "{\"color\":\"Tan\"}", 0, 6},
    {"wallet-bifold", "Dark Brown", "CL-BIF-BRN", "{\"color\":\"Dark Brown\"}", 0, 5},
    {"wallet-bifold", "Black", "CL-BIF-BLK", "{\"color\":\"Black\"}", 0, 3},
    {"key-fob", "Without initials", "CL-FOB-STD", "{\"initials\":\"no\"}", -200, 30},
    {"key-fob", "With initials", "CL-FOB-INI", "{\"initials\":\"yes\"}", 0, 10},
};
#define N_VARIANTS (sizeof(demo_variants) / sizeof(demo_variants[0]))

struct demo_question {
    const char *product;
    int position; /* 1..5 */
    const char *prompt;
    const char *kind; /* "text" or "file" */
    int max_length;   /* 0: none */
    int required;
};

static const struct demo_question demo_questions[] = {
    {"mug-name", 1, "Name or word to stamp on the mug (up to 12 letters)", "text", 12, 1},
    {"ring-signet", 1, "Initials to engrave (up to 3)", "text", 3, 1},
    {"ring-signet", 2, "Ring size (US)", "text", 5, 1},
    {"board-cheese", 1, "Family name to engrave (optional)", "text", 20, 0},
    {"print-citymap", 1, "City (and neighbourhood, if you like)", "text", 40, 1},
    {"portrait-pet", 1, "Upload a clear, well-lit photo of your pet", "file", 0, 1},
    {"portrait-pet", 2, "Pet name, if you would like it painted in", "text", 20, 0},
    {"wallet-bifold", 1, "Initials to emboss (optional, up to 3)", "text", 3, 0},
};
#define N_QUESTIONS (sizeof(demo_questions) / sizeof(demo_questions[0]))

struct demo_review {
    const char *product;
    int buyer; /* index into demo_users */
    int rating;
    const char *body;
    const char *reply; /* seller reply or NULL */
    int days_ago;      /* review date; the order completed the same day */
};

static const struct demo_review demo_reviews[] = {
    {"mug-everyday", U_MAYA, 5,
     "Perfect weight and the glaze is even prettier in person. My morning coffee tastes better, I swear.",
     "Thank you, Maya! Enjoy the slow mornings.", 40},
    {"mug-everyday", U_JONAS, 4,
     "Lovely mug, arrived very well packed. A little smaller than I expected but I use it every day.", NULL, 33},
    {"vase-bud", U_PRIYA, 5, "Gorgeous little vase. Holds a single stem perfectly on my desk.", NULL, 25},
    {"candle-vessel", U_PRIYA, 5, "Cedar & Smoke smells amazing, and the cup will become a planter.", NULL, 7},
    {"ring-stack", U_SAM, 5,
     "Bought three in different sizes to stack. Comfortable, and the hammered texture catches the light.",
     "So glad they fit well, Sam!", 50},
    {"neck-fern", U_MAYA, 5, "Delicate and beautifully detailed. I get compliments every time I wear it.", NULL, 21},
    {"ear-hoop", U_PRIYA, 3,
     "Pretty design, but the brass darkened a bit after a few weeks. A polishing cloth brought it back.",
     "Thanks for the honest feedback. Brass does patina, so every pair now ships with a polishing cloth.", 18},
    {"board-walnut", U_JONAS, 5,
     "Heirloom quality. The end grain is stunning and it has not moved at all after months of daily use.", NULL, 60},
    {"spoon-set", U_SAM, 5, "Each spoon feels different in the hand in the best way. A great gift.", NULL, 14},
    {"scarf-shibori", U_MAYA, 4,
     "Beautiful pattern and a deep, rich indigo. A little color rubbed off the first time I wore it.",
     "Thank you! A cold rinse with a splash of vinegar sets any loose indigo.", 12},
    {"beanie-alpaca", U_SAM, 4, "Warm and soft, not itchy at all.", NULL, 9},
    {"print-heron", U_PRIYA, 5, "The linocut texture is wonderful. I framed it the day it arrived.",
     "Thank you! The heron is one of my favorites to print.", 30},
    {"wallet-bifold", U_JONAS, 5, "Slim, beautifully stitched, and it is already developing a nice patina.", NULL, 45},
    {"tote-market", U_MAYA, 4, "Sturdy and roomy. The straps were stiff at first but have softened up.", NULL, 28},
};
#define N_REVIEWS (sizeof(demo_reviews) / sizeof(demo_reviews[0]))

/*-----------------------------------------------------------------------------
 * Helpers
 */

struct seed_ctx {
    int64_t now;
};

/*
 * DB_TEXT() as a function: the macro tests its argument for NULL, which
 * -Waddress rejects when the argument is a char array (our id buffers).
 */
static struct db_param txt(const char *s)
{
    return DB_TEXT(s);
}

/*
 * Fixed id for row n of a table: "<prefix>_01J0000000DEM0000000" followed by
 * n in six Crockford base32 digits (26 characters after the underscore, as
 * id_valid() wants).
 */
static void demo_id(char *buf, size_t cap, const char *prefix, unsigned n)
{
    static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    char tail[7];

    for (int i = 5; i >= 0; i--) {
        tail[i] = b32[n & 31u];
        n >>= 5;
    }
    tail[6] = '\0';
    snprintf(buf, cap, "%s_01J0000000DEM0000000%s", prefix, tail);
}

/* URL slug of a title: lowercase letters and digits, runs of anything else become one '-'. */
static void slugify(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    bool dash = false;

    APP_ASSERT(cap > 0);
    for (; *s != '\0' && n + 1 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c)) {
            if (dash && n > 0 && n + 2 < cap)
                out[n++] = '-';
            dash = false;
            out[n++] = (char)tolower(c);
        } else {
            dash = true;
        }
    }
    out[n] = '\0';
}

/*
 * Copy the next comma-separated item of *csv into out (trimmed) and advance
 * *csv. Returns false when the list is exhausted.
 */
static bool csv_next(const char **csv, char *out, size_t cap)
{
    const char *p = *csv, *end;
    size_t len;

    while (*p == ' ' || *p == ',')
        p++;
    if (*p == '\0')
        return false;
    end = strchr(p, ',');
    if (end == NULL)
        end = p + strlen(p);
    *csv = end;
    while (end > p && end[-1] == ' ')
        end--;
    len = (size_t)(end - p);
    APP_ASSERT(len < cap);
    memcpy(out, p, len);
    out[len] = '\0';
    return true;
}

/* JSON array of strings from a comma-separated list (static data: quote and backslash escaped). */
static void csv_to_json(const char *csv, char *out, size_t cap)
{
    char item[128];
    size_t n = 0;
    bool first = true;

    out[n++] = '[';
    while (csv_next(&csv, item, sizeof(item))) {
        APP_ASSERT(n + 2 * strlen(item) + 4 < cap);
        if (!first)
            out[n++] = ',';
        first = false;
        out[n++] = '"';
        for (const char *c = item; *c != '\0'; c++) {
            if (*c == '"' || *c == '\\')
                out[n++] = '\\';
            out[n++] = *c;
        }
        out[n++] = '"';
    }
    APP_ASSERT(n + 2 <= cap);
    out[n++] = ']';
    out[n] = '\0';
}

static int category_index(const char *slug)
{
    for (size_t i = 0; i < N_CATEGORIES; i++)
        if (strcmp(demo_categories[i].slug, slug) == 0)
            return (int)i;
    APP_PANIC("seed: unknown category slug");
}

static int product_index(const char *key)
{
    for (size_t i = 0; i < N_PRODUCTS; i++)
        if (strcmp(demo_products[i].key, key) == 0)
            return (int)i;
    APP_PANIC("seed: unknown product key");
}

static int64_t review_at(const struct seed_ctx *c, const struct demo_review *r)
{
    return c->now - (int64_t)r->days_ago * DAY_MS;
}

/* Shipping address of a demo order: the buyer's, as JSON. */
static const char *buyer_address(int buyer)
{
    const char *a = demo_users[buyer].address_json;
    return a != NULL ? a : "{}";
}

/*-----------------------------------------------------------------------------
 * Loaders, one per table group. Each returns 0 or -1 (err filled).
 */

static int seed_users(struct db *db, const struct seed_ctx *c, struct db_error *err)
{
    char id[ID_BUF];

    for (size_t i = 0; i < N_USERS; i++) {
        const struct demo_user *u = &demo_users[i];
        char norm[128];
        int64_t at = c->now - (int64_t)(120 - i) * DAY_MS;
        size_t k;

        for (k = 0; u->email[k] != '\0' && k + 1 < sizeof(norm); k++)
            norm[k] = (char)tolower((unsigned char)u->email[k]);
        norm[k] = '\0';
        demo_id(id, sizeof(id), "usr", (unsigned)i + 1);
        struct db_param p[] = {txt(id),      txt(u->email), txt(norm),   txt(u->name),
                               txt(u->role), DB_I64(at),    txt(u->bio), txt(u->location)};
        if (db_exec(db, seed_sql[Q_USER], p, 8, err) < 0)
            return -1;
    }
    return 0;
}

static int seed_shops(struct db *db, const struct seed_ctx *c, struct db_error *err)
{
    char id[ID_BUF], seller_id[ID_BUF], admin_id[ID_BUF], table_id[ID_BUF], rate_id[ID_BUF];

    demo_id(admin_id, sizeof(admin_id), "usr", U_ADMIN + 1);
    for (size_t s = 0; s < N_SHOPS; s++) {
        const struct demo_shop *sh = &demo_shops[s];
        int64_t applied = c->now - (int64_t)(100 - 2 * s) * DAY_MS;
        int64_t opened = applied + DAY_MS;
        int64_t rating_sum = 0, rating_count = 0;

        /* The shop aggregates the reviews (and demo sales) of its products. */
        for (size_t r = 0; r < N_REVIEWS; r++) {
            if (demo_products[product_index(demo_reviews[r].product)].shop == (int)s) {
                rating_sum += demo_reviews[r].rating;
                rating_count++;
            }
        }

        demo_id(seller_id, sizeof(seller_id), "usr", (unsigned)sh->seller + 1);
        demo_id(id, sizeof(id), "sap", (unsigned)s + 1);
        struct db_param ap[] = {txt(id),   txt(seller_id), txt(sh->name),  txt(sh->description),
                                txt("US"), txt(admin_id),  DB_I64(opened), DB_I64(applied)};
        if (db_exec(db, seed_sql[Q_APPLICATION], ap, 8, err) < 0)
            return -1;

        demo_id(id, sizeof(id), "shp", (unsigned)s + 1);
        struct db_param sp[] = {txt(id),
                                txt(seller_id),
                                txt(sh->slug),
                                txt(sh->name),
                                txt(sh->tagline),
                                txt(sh->description),
                                txt(sh->policies_json),
                                txt("US"),
                                txt(SEED_CURRENCY),
                                DB_I64(sh->accepts_custom_orders),
                                DB_I64(rating_sum),
                                DB_I64(rating_count),
                                DB_I64(rating_count),
                                DB_I64(opened)};
        if (db_exec(db, seed_sql[Q_SHOP], sp, 14, err) < 0)
            return -1;

        /* One default rate table per shop: domestic with free shipping over $75, and everywhere else. */
        demo_id(table_id, sizeof(table_id), "srt", (unsigned)s + 1);
        struct db_param tp[] = {txt(table_id), txt(seller_id), txt(id), txt(SEED_CURRENCY), txt("US"), DB_I64(opened)};
        if (db_exec(db, seed_sql[Q_RATE_TABLE], tp, 6, err) < 0)
            return -1;

        demo_id(rate_id, sizeof(rate_id), "srr", (unsigned)(2 * s) + 1);
        struct db_param dp[] = {txt(rate_id), txt(table_id), txt(seller_id), txt("domestic"),
                                DB_I64(595),  DB_I64(150),   DB_I64(7500),   txt(SEED_CURRENCY),
                                DB_I64(3),    DB_I64(5),     DB_I64(opened)};
        if (db_exec(db, seed_sql[Q_RATE], dp, 11, err) < 0)
            return -1;
        demo_id(rate_id, sizeof(rate_id), "srr", (unsigned)(2 * s) + 2);
        struct db_param ep[] = {txt(rate_id), txt(table_id), txt(seller_id), txt("everywhere"),
                                DB_I64(1895), DB_I64(400),   DB_NULL,        txt(SEED_CURRENCY),
                                DB_I64(7),    DB_I64(21),    DB_I64(opened)};
        if (db_exec(db, seed_sql[Q_RATE], ep, 11, err) < 0)
            return -1;
    }
    return 0;
}

static int seed_categories(struct db *db, const struct seed_ctx *c, struct db_error *err)
{
    char id[ID_BUF], parent_id[ID_BUF];
    char paths[N_CATEGORIES][128];
    int depth[N_CATEGORIES];
    int position[N_CATEGORIES];

    for (size_t i = 0; i < N_CATEGORIES; i++) {
        const struct demo_category *cat = &demo_categories[i];
        int parent = cat->parent != NULL ? category_index(cat->parent) : -1;
        int pos = 0;

        APP_ASSERT(parent < (int)i); /* parents are listed first */
        for (size_t j = 0; j < i; j++) {
            bool same = (cat->parent == NULL && demo_categories[j].parent == NULL) ||
                        (cat->parent != NULL && demo_categories[j].parent != NULL &&
                         strcmp(cat->parent, demo_categories[j].parent) == 0);
            if (same)
                pos++;
        }
        position[i] = pos;
        depth[i] = parent < 0 ? 0 : depth[parent] + 1;
        if (parent < 0)
            snprintf(paths[i], sizeof(paths[i]), "%s", cat->slug);
        else
            snprintf(paths[i], sizeof(paths[i]), "%s/%s", paths[parent], cat->slug);

        demo_id(id, sizeof(id), "cat", (unsigned)i + 1);
        if (parent >= 0)
            demo_id(parent_id, sizeof(parent_id), "cat", (unsigned)parent + 1);
        struct db_param p[] = {txt(id),
                               parent >= 0 ? txt(parent_id) : DB_NULL,
                               txt(cat->slug),
                               txt(paths[i]),
                               txt(cat->name),
                               txt(cat->description),
                               DB_I64(depth[i]),
                               DB_I64(position[i]),
                               DB_I64(c->now - 130 * DAY_MS)};
        if (db_exec(db, seed_sql[Q_CATEGORY], p, 9, err) < 0)
            return -1;
    }
    /* Readers reuse their rendering of the tree until this counter moves. */
    return versions_bump(db, "categories", err);
}

static int seed_products(struct db *db, const struct seed_ctx *c, struct db_error *err)
{
    char id[ID_BUF], seller_id[ID_BUF], shop_id[ID_BUF], cat_id[ID_BUF], table_id[ID_BUF];
    char slug[160], tags[JSON_BUF], materials[JSON_BUF], item[128];

    for (size_t i = 0; i < N_PRODUCTS; i++) {
        const struct demo_product *pr = &demo_products[i];
        const struct demo_shop *sh = &demo_shops[pr->shop];
        /* Newest last: the catalogue was listed over the past ~80 days, a couple of days apart. */
        int64_t listed = c->now - (int64_t)(N_PRODUCTS - i) * 2 * DAY_MS - (int64_t)(i % 7) * HOUR_MS;
        int64_t rating_sum = 0, rating_count = 0;
        int personalizable = 0;
        const char *list;

        for (size_t r = 0; r < N_REVIEWS; r++) {
            if (strcmp(demo_reviews[r].product, pr->key) == 0) {
                rating_sum += demo_reviews[r].rating;
                rating_count++;
            }
        }
        for (size_t q = 0; q < N_QUESTIONS; q++)
            if (strcmp(demo_questions[q].product, pr->key) == 0)
                personalizable = 1;

        demo_id(id, sizeof(id), "prd", (unsigned)i + 1);
        demo_id(seller_id, sizeof(seller_id), "usr", (unsigned)sh->seller + 1);
        demo_id(shop_id, sizeof(shop_id), "shp", (unsigned)pr->shop + 1);
        demo_id(cat_id, sizeof(cat_id), "cat", (unsigned)category_index(pr->category) + 1);
        demo_id(table_id, sizeof(table_id), "srt", (unsigned)pr->shop + 1);
        slugify(pr->title, slug, sizeof(slug));
        csv_to_json(pr->tags, tags, sizeof(tags));
        csv_to_json(pr->materials, materials, sizeof(materials));

        struct db_param p[] = {txt(id),
                               txt(seller_id),
                               txt(shop_id),
                               txt(cat_id),
                               txt(table_id),
                               txt(slug),
                               txt(pr->title),
                               txt(pr->description),
                               DB_I64(pr->price),
                               txt(SEED_CURRENCY),
                               DB_I64(pr->stock),
                               DB_I64(pr->made_to_order),
                               DB_I64(pr->processing_days),
                               DB_I64(personalizable),
                               DB_I64(pr->weight_grams),
                               txt(tags),
                               txt(materials),
                               DB_I64(rating_sum),
                               DB_I64(rating_count),
                               DB_I64(pr->views),
                               DB_I64(rating_count), /* sales: the demo orders behind the reviews */
                               DB_I64(listed)};
        if (db_exec(db, seed_sql[Q_PRODUCT], p, 22, err) < 0)
            return -1;

        list = pr->tags;
        while (csv_next(&list, item, sizeof(item))) {
            struct db_param tp[] = {txt(id), txt(item)};
            if (db_exec(db, seed_sql[Q_PRODUCT_TAG], tp, 2, err) < 0)
                return -1;
        }
        list = pr->materials;
        while (csv_next(&list, item, sizeof(item))) {
            struct db_param mp[] = {txt(id), txt(item)};
            if (db_exec(db, seed_sql[Q_PRODUCT_MATERIAL], mp, 2, err) < 0)
                return -1;
        }
    }
    return 0;
}

static int seed_variants_and_questions(struct db *db, const struct seed_ctx *c, struct db_error *err)
{
    char id[ID_BUF], product_id[ID_BUF];

    for (size_t i = 0; i < N_VARIANTS; i++) {
        const struct demo_variant *v = &demo_variants[i];
        int pi = product_index(v->product);
        int position = 0;

        APP_ASSERT(demo_products[pi].price + v->modifier >= 0);
        for (size_t j = 0; j < i; j++)
            if (strcmp(demo_variants[j].product, v->product) == 0)
                position++;
        demo_id(id, sizeof(id), "var", (unsigned)i + 1);
        demo_id(product_id, sizeof(product_id), "prd", (unsigned)pi + 1);
        struct db_param p[] = {txt(id),          txt(product_id),      txt(v->name),
                               txt(v->sku),      txt(v->options_json), DB_I64(v->modifier),
                               DB_I64(v->stock), DB_I64(position),     DB_I64(c->now - 60 * DAY_MS)};
        if (db_exec(db, seed_sql[Q_VARIANT], p, 9, err) < 0)
            return -1;
    }

    for (size_t i = 0; i < N_QUESTIONS; i++) {
        const struct demo_question *q = &demo_questions[i];

        demo_id(id, sizeof(id), "ppq", (unsigned)i + 1);
        demo_id(product_id, sizeof(product_id), "prd", (unsigned)product_index(q->product) + 1);
        struct db_param p[] = {txt(id),
                               txt(product_id),
                               DB_I64(q->position),
                               txt(q->prompt),
                               txt(q->kind),
                               q->max_length > 0 ? DB_I64(q->max_length) : DB_NULL,
                               DB_I64(q->required),
                               DB_I64(c->now - 60 * DAY_MS)};
        if (db_exec(db, seed_sql[Q_QUESTION], p, 8, err) < 0)
            return -1;
    }
    return 0;
}

/* Each review: a completed one-item order (with its status history), then the review. */
static int seed_reviews(struct db *db, const struct seed_ctx *c, struct db_error *err)
{
    static const char *const steps[] = {"pending_payment", "paid", "shipped", "delivered", "completed"};
    char order_id[ID_BUF], item_id[ID_BUF], review_id[ID_BUF], hist_id[ID_BUF];
    char buyer_id[ID_BUF], seller_id[ID_BUF], shop_id[ID_BUF], product_id[ID_BUF], tracking[32];

    for (size_t i = 0; i < N_REVIEWS; i++) {
        const struct demo_review *r = &demo_reviews[i];
        int pi = product_index(r->product);
        const struct demo_product *pr = &demo_products[pi];
        int64_t reviewed = review_at(c, r);
        int64_t completed = reviewed - 2 * HOUR_MS;
        int64_t delivered = completed - 3 * DAY_MS;
        int64_t shipped = delivered - 4 * DAY_MS;
        int64_t paid = shipped - (int64_t)pr->processing_days * DAY_MS;
        int64_t created = paid - 5 * 60 * 1000;
        int64_t step_at[] = {created, paid, shipped, delivered, completed};
        int64_t fee = pr->price * SEED_COMMISSION_BPS / 10000;

        APP_ASSERT(r->rating >= 1 && r->rating <= 5);
        demo_id(order_id, sizeof(order_id), "ord", (unsigned)i + 1);
        demo_id(item_id, sizeof(item_id), "oit", (unsigned)i + 1);
        demo_id(review_id, sizeof(review_id), "rev", (unsigned)i + 1);
        demo_id(buyer_id, sizeof(buyer_id), "usr", (unsigned)r->buyer + 1);
        demo_id(seller_id, sizeof(seller_id), "usr", (unsigned)demo_shops[pr->shop].seller + 1);
        demo_id(shop_id, sizeof(shop_id), "shp", (unsigned)pr->shop + 1);
        demo_id(product_id, sizeof(product_id), "prd", (unsigned)pi + 1);
        snprintf(tracking, sizeof(tracking), "9400100000000000%06zu", 4201 + i * 37);

        struct db_param op[] = {txt(order_id),
                                txt(buyer_id),
                                txt(seller_id),
                                txt(shop_id),
                                DB_I64(pr->price),
                                DB_I64(fee),
                                txt(SEED_CURRENCY),
                                DB_I64(SEED_COMMISSION_BPS),
                                txt(buyer_address(r->buyer)),
                                txt(tracking),
                                DB_I64(paid),
                                DB_I64(shipped),
                                DB_I64(delivered),
                                DB_I64(completed)};
        if (db_exec(db, seed_sql[Q_ORDER], op, 14, err) < 0)
            return -1;

        struct db_param ip[] = {txt(item_id),      txt(order_id),      txt(product_id), txt(pr->title),
                                DB_I64(pr->price), txt(SEED_CURRENCY), DB_I64(created)};
        if (db_exec(db, seed_sql[Q_ORDER_ITEM], ip, 7, err) < 0)
            return -1;

        for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
            demo_id(hist_id, sizeof(hist_id), "osh", (unsigned)(i * 8 + s) + 1);
            struct db_param hp[] = {txt(hist_id), txt(order_id), s > 0 ? txt(steps[s - 1]) : DB_NULL, txt(steps[s]),
                                    DB_I64(step_at[s])};
            if (db_exec(db, seed_sql[Q_ORDER_HISTORY], hp, 5, err) < 0)
                return -1;
        }

        struct db_param rp[] = {txt(review_id),    txt(product_id),
                                txt(item_id),      txt(buyer_id),
                                txt(seller_id),    txt(shop_id),
                                DB_I64(r->rating), txt(r->body),
                                txt(r->reply),     r->reply != NULL ? DB_I64(reviewed + DAY_MS / 2) : DB_NULL,
                                DB_I64(reviewed)};
        if (db_exec(db, seed_sql[Q_REVIEW], rp, 11, err) < 0)
            return -1;
    }
    return 0;
}

/*-----------------------------------------------------------------------------
 * Entry point
 */

/* The body of the seeding transaction (db_tx callback). */
static int seed_all(struct db *db, void *ctx, struct db_error *err)
{
    const struct seed_ctx *c = ctx;
    char admin_id[ID_BUF];
    struct db_stmt *st;
    int rc;

    demo_id(admin_id, sizeof(admin_id), "usr", U_ADMIN + 1);
    st = db_prepare(db, seed_sql[Q_MARKER], err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, txt(admin_id));
    rc = db_step(st, err);
    db_reset(st);
    if (rc < 0)
        return -1;
    if (rc == 1) {
        log_info("seed: demo data already present", NULL);
        return 0;
    }

    if (seed_users(db, c, err) != 0 || seed_shops(db, c, err) != 0 || seed_categories(db, c, err) != 0 ||
        seed_products(db, c, err) != 0 || seed_variants_and_questions(db, c, err) != 0 || seed_reviews(db, c, err) != 0)
        return -1;
    log_info("seed: demo data loaded", "users=%zu shops=%zu categories=%zu products=%zu reviews=%zu", N_USERS, N_SHOPS,
             N_CATEGORIES, N_PRODUCTS, N_REVIEWS);
    return 0;
}

/** Load the demo catalogue; see seed.h. Blocks on the database. */
int seed_demo(struct db *db, struct db_error *err)
{
    struct seed_ctx c = {.now = time_now_ms()};

    return db_tx(db, 3, seed_all, &c, err);
}
