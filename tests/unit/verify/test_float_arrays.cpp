// Floats inside arrays, composites, ranges and geometric values are compared by value: the
// long text of servers before 12 (extra_float_digits=3: 18 significant digits, 9 for real) and
// the shortest text of 12 and newer give one digest.
#include <catch2/catch.hpp>

#include "pgmigrate/verify/row_digest.hpp"
#include "pgmigrate/verify/type_tree.hpp"

using namespace pgmigrate::verify;

namespace {
Digest digest_of(const ColumnKind& kind, const std::vector<std::string>& fields) {
    RowDigester d({ColumnKind::text, kind});
    for (const auto& f : fields) d.add_line("1\t" + f);
    return d.digest();
}

const ColumnKind kF8Array = ColumnKind::float8_array;
const ColumnKind kF4Array = ColumnKind::float4_array;
}  // namespace

TEST_CASE("float arrays: the 17-digit and the shortest text of the same array are one digest") {
    // Text as a PostgreSQL 10 server with extra_float_digits=3 prints it, and as 15 prints it.
    CHECK(digest_of(kF8Array, {"{0.100000000000000006,0.333333333333333315}"}) ==
          digest_of(kF8Array, {"{0.1,0.3333333333333333}"}));
    CHECK(digest_of(kF8Array,
                    {"{0.10000000000000001,0.33333333333333331,1.0000000000000001e-310}"}) ==
          digest_of(kF8Array, {"{0.1,0.3333333333333333,1e-310}"}));
    CHECK(digest_of(kF8Array, {"{{0.10000000000000001,2},{NULL,-0}}"}) ==
          digest_of(kF8Array, {"{{0.1,2},{NULL,-0}}"}));
    CHECK(digest_of(kF8Array, {"[0:1]={0.20000000000000001,NaN}"}) ==
          digest_of(kF8Array, {"[0:1]={0.2,NaN}"}));
    CHECK(digest_of(kF4Array, {"{0.100000001,0.333333343,1.40129846e-45}"}) ==
          digest_of(kF4Array, {"{0.1,0.33333334,1e-45}"}));
    // Quoted elements (never printed for floats, but valid array syntax) are the same value.
    CHECK(normalise_float_array("{\"0.1\",\" 2\"}", ColumnKind::float8) !=
          normalise_float_array("{0.1,2}", ColumnKind::float8));
    CHECK(normalise_float_array("{\"0.1\",2}", ColumnKind::float8) ==
          normalise_float_array("{0.1,2}", ColumnKind::float8));
}

TEST_CASE("float arrays: one ulp, a sign, NaN, infinities and NULL elements are told apart") {
    auto base = digest_of(kF8Array, {"{0.1,1,Infinity}"});
    CHECK(digest_of(kF8Array, {"{0.10000000000000002,1,Infinity}"}) != base);
    CHECK(digest_of(kF8Array, {"{0.1,1.0000000000000002,Infinity}"}) != base);
    CHECK(digest_of(kF8Array, {"{0.1,1,-Infinity}"}) != base);
    CHECK(digest_of(kF8Array, {"{0.1,1,1.7976931348623157e+308}"}) != base);
    CHECK(digest_of(kF8Array, {"{0.1,1,NULL}"}) != base);
    CHECK(digest_of(kF8Array, {"{0.1,1,NaN}"}) != base);
    CHECK(digest_of(kF8Array, {"{-0}"}) != digest_of(kF8Array, {"{0}"}));
    CHECK(digest_of(kF8Array, {"{NULL}"}) != digest_of(kF8Array, {"{}"}));
    CHECK(digest_of(kF8Array, {"{NULL}"}) != digest_of(kF8Array, {"\\N"}));
    CHECK(digest_of(kF8Array, {"{{1,2}}"}) != digest_of(kF8Array, {"{1,2}"}));
    CHECK(digest_of(kF8Array, {"[1:2]={1,2}"}) != digest_of(kF8Array, {"{1,2}"}));
    CHECK(digest_of(kF4Array, {"{0.100000009}"}) != digest_of(kF4Array, {"{0.1}"}));
    CHECK(digest_of(kF8Array, {"{NaN}"}) == digest_of(kF8Array, {"{nan}"}));
    CHECK(digest_of(kF8Array, {"{5e-324}"}) == digest_of(kF8Array, {"{4.9406564584124654e-324}"}));
    // Not an array literal: compared as text, never equal to a real one.
    CHECK(normalise_float_array("{1,2", ColumnKind::float8) == "{1,2");
    CHECK(normalise_float_array("{1,2", ColumnKind::float8) !=
          normalise_float_array("{1,2}", ColumnKind::float8));
}

TEST_CASE("composites, ranges and geometric values compare their floats by value") {
    auto record = ColumnKind::composite_of({ColumnKind::text, ColumnKind::float8, kF8Array});
    CHECK(digest_of(record, {"(\"a b\",0.10000000000000001,\"{0.20000000000000001,NULL}\")"}) ==
          digest_of(record, {"(\"a b\",0.1,\"{0.2,NULL}\")"}));
    CHECK(digest_of(record, {"(\"a b\",0.10000000000000002,\"{0.2,NULL}\")"}) !=
          digest_of(record, {"(\"a b\",0.1,\"{0.2,NULL}\")"}));
    // NULL field, empty text, a quote and a backslash (COPY doubles the backslash).
    CHECK(digest_of(record, {"(,1,)"}) != digest_of(record, {"(\"\",1,)"}));
    CHECK(digest_of(record, {"(\"x\"\"y\",1,)"}) != digest_of(record, {"(\"x\\\\\\\\y\",1,)"}));
    CHECK(normalise_field("(\"x\"\"y\",1,)", record) ==
          normalise_field("(\"x\\\\\"y\",1,)", record));
    CHECK(normalise_field("(a,1)", record) == "(a,1)");  // wrong field count: as text

    auto range = ColumnKind::range_of(ColumnKind::float8);
    CHECK(digest_of(range, {"[0.10000000000000001,0.33333333333333331)"}) ==
          digest_of(range, {"[0.1,0.3333333333333333)"}));
    CHECK(digest_of(range, {"[0.1,1)"}) != digest_of(range, {"[0.1,1]"}));
    CHECK(digest_of(range, {"(,1)"}) != digest_of(range, {"(-Infinity,1)"}));
    CHECK(digest_of(range, {"empty"}) != digest_of(range, {"(,)"}));

    CHECK(digest_of(ColumnKind::geometric, {"(0.10000000000000001,-0)"}) ==
          digest_of(ColumnKind::geometric, {"(0.1,-0)"}));
    CHECK(digest_of(ColumnKind::geometric, {"(0.1,-0)"}) !=
          digest_of(ColumnKind::geometric, {"(0.1,0)"}));
    auto boxes = ColumnKind::array_of(ColumnKind::geometric, ';');
    CHECK(digest_of(boxes, {"{(1,1),(0.10000000000000001,0);(2,2),(1,1)}"}) ==
          digest_of(boxes, {"{(1,1),(0.1,0);(2,2),(1,1)}"}));
    auto points = ColumnKind::array_of(ColumnKind::geometric);
    CHECK(digest_of(points, {"{\"(0.10000000000000001,1)\",NULL}"}) ==
          digest_of(points, {"{\"(0.1,1)\",NULL}"}));
}

TEST_CASE("a column kind survives its state-file name") {
    for (const auto& kind :
         {ColumnKind::text, ColumnKind::float4, ColumnKind::float8, ColumnKind::float8_array,
          ColumnKind::array_of(ColumnKind::geometric, ';'),
          ColumnKind::array_of(ColumnKind::composite_of(
              {ColumnKind::text, ColumnKind::range_of(ColumnKind::float4)})),
          ColumnKind::composite_of({ColumnKind::float8, ColumnKind::float4_array})}) {
        INFO(kind.name());
        CHECK(ColumnKind::from_name(kind.name()) == kind);
    }
    CHECK(ColumnKind::float8_array.name() == "float8[]");  // as earlier releases wrote it
    CHECK(ColumnKind::from_name("float4[]") == ColumnKind::float4_array);
    CHECK(ColumnKind::from_name("something new") == ColumnKind::text);
    CHECK(ColumnKind::composite_of({ColumnKind::text}) == ColumnKind::text);
    CHECK(ColumnKind::array_of(ColumnKind::text) == ColumnKind::text);
}

TEST_CASE("the type tree resolves domains, arrays of domains, composites and ranges") {
    TypeTree tree;
    const std::uint32_t d1 = 20000, d2 = 20001, d2_array = 20002, comp = 20003, rel = 20004,
                        rng = 20005, text_comp = 20006, text_rel = 20007, box_domain = 20008,
                        box_domain_array = 20009;
    tree.add_type(d1, {'d', 701, 0, ',', 0, 0});              // domain over float8
    tree.add_type(d2, {'d', d1, 0, ',', 0, 0});               // domain over that domain
    tree.add_type(d2_array, {'b', 0, d2, ',', 0, 0});         // d2[]
    tree.add_type(comp, {'c', 0, 0, ',', rel, 0});            // (text, d2[], floatrange)
    tree.add_type(rng, {'r', 0, 0, ',', 0, d1});              // range over d1
    tree.add_type(text_comp, {'c', 0, 0, ',', text_rel, 0});  // (int, text)
    tree.add_type(box_domain, {'d', 603, 0, ';', 0, 0});
    tree.add_type(box_domain_array, {'b', 0, box_domain, ',', 0, 0});
    CHECK(tree.relations_to_load({comp, text_comp}) == std::set<std::uint32_t>{rel, text_rel});
    tree.add_fields(rel, {25, d2_array, rng});
    tree.add_fields(text_rel, {23, 25});
    CHECK(tree.relations_to_load({comp, text_comp}).empty());

    CHECK(tree.kind_of(d2) == ColumnKind::float8);
    CHECK(tree.kind_of(d2_array) == ColumnKind::float8_array);
    CHECK(tree.kind_of(rng) == ColumnKind::range_of(ColumnKind::float8));
    CHECK(tree.kind_of(comp) ==
          ColumnKind::composite_of({ColumnKind::text, ColumnKind::float8_array,
                                    ColumnKind::range_of(ColumnKind::float8)}));
    CHECK(tree.kind_of(text_comp) == ColumnKind::text);
    CHECK(tree.kind_of(box_domain_array) == ColumnKind::array_of(ColumnKind::geometric, ';'));
    CHECK(tree.kind_of(1017) == ColumnKind::array_of(ColumnKind::geometric));  // point[]
    CHECK(tree.kind_of(25) == ColumnKind::text);
    CHECK(tree.kind_of(99999) == ColumnKind::text);
}
