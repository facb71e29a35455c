/*
 * seed_demo_data.c — the demo catalogue's rows, loaded by seed.c
 * (`artistry seed --demo`): users, shops, the category tree, products,
 * variants, personalisation questions and reviews.
 *
 * Rows refer to each other by a short key (category slug, product key) or
 * an index into another table; seed.c turns those into fixed ids. The
 * category tree is also the tree of the generated catalogue
 * (seed_catalog.c).
 *
 * Caveats: the array sizes are declared in seed_int.h; adding a row means
 * bumping its SEED_DEMO_N* count there (the build fails otherwise).
 */
#include <stddef.h>

#include "cli/seed_int.h"

const struct seed_demo_user seed__demo_users[] = {
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

const struct seed_demo_shop seed__demo_shops[] = {
    {SEED_U_FIRST_SELLER + 0, "juniper-and-ash-ceramics", "Juniper & Ash Ceramics",
     "Wheel-thrown stoneware for everyday rituals",
     "Small-batch pottery made in a converted garage studio in Portland. Every piece is thrown on the wheel, "
     "trimmed by hand and glazed with food-safe glazes mixed in the studio.",
     "{\"returns\":\"Returns accepted within 30 days of delivery.\",\"shipping\":\"Double-boxed with recycled "
     "padding.\",\"care\":\"Dishwasher and microwave safe unless noted.\"}",
     1},
    {SEED_U_FIRST_SELLER + 1, "silver-fern-studio", "Silver Fern Studio", "Botanical jewelry in recycled silver",
     "Jewelry cast and fabricated from recycled sterling silver and brass, inspired by the high desert. "
     "Stones are sourced from small family mines.",
     "{\"returns\":\"Returns accepted within 14 days (not on engraved pieces).\",\"shipping\":\"Ships in a gift "
     "box.\"}",
     1},
    {SEED_U_FIRST_SELLER + 2, "oak-and-thread-woodworks", "Oak & Thread Woodworks", "Heirloom kitchenware and furniture",
     "Hardwood boards, carved utensils and small furniture made from locally milled walnut, cherry and maple, "
     "finished with food-safe oil and beeswax.",
     "{\"returns\":\"Returns accepted within 30 days. Custom furniture is final sale.\",\"care\":\"Hand wash, "
     "oil monthly.\"}",
     1},
    {SEED_U_FIRST_SELLER + 3, "indigo-loom", "Indigo Loom", "Naturally dyed, hand-woven textiles",
     "Scarves, wraps and knitwear dyed in living indigo vats and woven on a floor loom. Fibers are "
     "traceable merino, alpaca and silk.",
     "{\"returns\":\"Exchanges within 30 days.\",\"care\":\"Hand wash cold, dry flat.\"}", 0},
    {SEED_U_FIRST_SELLER + 4, "paper-moon-prints", "Paper Moon Prints", "Prints and originals from a tiny studio",
     "Hand-pulled linocuts, risograph prints and original paintings. Archival papers and inks, signed and "
     "numbered editions.",
     "{\"returns\":\"Returns accepted within 14 days for prints. Originals and commissions are final sale.\","
     "\"shipping\":\"Shipped flat between boards or rolled in a tube.\"}",
     1},
    {SEED_U_FIRST_SELLER + 5, "copperline-leather", "Copperline Leather", "Hand-stitched leather goods",
     "Wallets, bags and accessories cut from vegetable-tanned leather and saddle-stitched by hand with waxed "
     "linen thread.",
     "{\"returns\":\"Returns accepted within 30 days (not on personalized items).\",\"warranty\":\"Stitching "
     "guaranteed for life.\"}",
     0},
};

const struct seed_demo_category seed__demo_categories[] = {
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

const struct seed_demo_product seed__demo_products[] = {
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

const struct seed_demo_variant seed__demo_variants[] = {
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

const struct seed_demo_question seed__demo_questions[] = {
    {"mug-name", 1, "Name or word to stamp on the mug (up to 12 letters)", "text", 12, 1},
    {"ring-signet", 1, "Initials to engrave (up to 3)", "text", 3, 1},
    {"ring-signet", 2, "Ring size (US)", "text", 5, 1},
    {"board-cheese", 1, "Family name to engrave (optional)", "text", 20, 0},
    {"print-citymap", 1, "City (and neighbourhood, if you like)", "text", 40, 1},
    {"portrait-pet", 1, "Upload a clear, well-lit photo of your pet", "file", 0, 1},
    {"portrait-pet", 2, "Pet name, if you would like it painted in", "text", 20, 0},
    {"wallet-bifold", 1, "Initials to emboss (optional, up to 3)", "text", 3, 0},
};

const struct seed_demo_review seed__demo_reviews[] = {
    {"mug-everyday", SEED_U_MAYA, 5,
     "Perfect weight and the glaze is even prettier in person. My morning coffee tastes better, I swear.",
     "Thank you, Maya! Enjoy the slow mornings.", 40},
    {"mug-everyday", SEED_U_JONAS, 4,
     "Lovely mug, arrived very well packed. A little smaller than I expected but I use it every day.", NULL, 33},
    {"vase-bud", SEED_U_PRIYA, 5, "Gorgeous little vase. Holds a single stem perfectly on my desk.", NULL, 25},
    {"candle-vessel", SEED_U_PRIYA, 5, "Cedar & Smoke smells amazing, and the cup will become a planter.", NULL, 7},
    {"ring-stack", SEED_U_SAM, 5,
     "Bought three in different sizes to stack. Comfortable, and the hammered texture catches the light.",
     "So glad they fit well, Sam!", 50},
    {"neck-fern", SEED_U_MAYA, 5, "Delicate and beautifully detailed. I get compliments every time I wear it.", NULL, 21},
    {"ear-hoop", SEED_U_PRIYA, 3,
     "Pretty design, but the brass darkened a bit after a few weeks. A polishing cloth brought it back.",
     "Thanks for the honest feedback. Brass does patina, so every pair now ships with a polishing cloth.", 18},
    {"board-walnut", SEED_U_JONAS, 5,
     "Heirloom quality. The end grain is stunning and it has not moved at all after months of daily use.", NULL, 60},
    {"spoon-set", SEED_U_SAM, 5, "Each spoon feels different in the hand in the best way. A great gift.", NULL, 14},
    {"scarf-shibori", SEED_U_MAYA, 4,
     "Beautiful pattern and a deep, rich indigo. A little color rubbed off the first time I wore it.",
     "Thank you! A cold rinse with a splash of vinegar sets any loose indigo.", 12},
    {"beanie-alpaca", SEED_U_SAM, 4, "Warm and soft, not itchy at all.", NULL, 9},
    {"print-heron", SEED_U_PRIYA, 5, "The linocut texture is wonderful. I framed it the day it arrived.",
     "Thank you! The heron is one of my favorites to print.", 30},
    {"wallet-bifold", SEED_U_JONAS, 5, "Slim, beautifully stitched, and it is already developing a nice patina.", NULL, 45},
    {"tote-market", SEED_U_MAYA, 4, "Sturdy and roomy. The straps were stiff at first but have softened up.", NULL, 28},
};
