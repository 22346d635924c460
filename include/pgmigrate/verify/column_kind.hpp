#pragma once
// How a column's COPY text is normalised before hashing: the column's type reduced to what
// matters for that. Floats are compared by value (servers before 12 print 17 digits, newer ones
// the shortest exact form), so every type whose text carries floats is kept as a tree down to
// them: arrays, composites and ranges of floats, and the geometric types (all float8 inside).
// Everything else is one leaf, text, compared byte for byte.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pgmigrate::verify {

class ColumnKind {
  public:
    enum class Form : std::uint8_t {
        text,       // compared byte for byte
        float4,     // real: parsed as float, hashed by its bits
        float8,     // double precision: parsed as double, hashed by its bits
        geometric,  // point, lseg, line, box, path, polygon, circle: every number as float8
        array,      // parts[0] is the element; delimiter() separates elements
        composite,  // parts are the fields (not the dropped ones), in order
        range,      // parts[0] is the subtype
    };

    static const ColumnKind text, float4, float8, geometric, float4_array, float8_array;

    ColumnKind() = default;  // text
    // Each is text when what it is made of is text: only floats make a tree worth keeping.
    static ColumnKind array_of(ColumnKind element, char delimiter = ',');
    static ColumnKind composite_of(std::vector<ColumnKind> fields);
    static ColumnKind range_of(ColumnKind subtype);

    Form form() const { return form_; }
    const std::vector<ColumnKind>& parts() const { return parts_; }
    char delimiter() const { return delimiter_; }

    // The kind as recorded in a state file: "text", "float4", "float8", "geometric", "X[]"
    // (or "X[;]" for another delimiter), "(X,Y)", "range(X)".
    std::string name() const;
    // The inverse of name(); a name it does not know is text (compared byte for byte, as
    // before the kind existed).
    static ColumnKind from_name(std::string_view name);

    bool operator==(const ColumnKind&) const = default;

  private:
    explicit ColumnKind(Form form, std::vector<ColumnKind> parts = {}, char delimiter = ',')
        : form_(form), delimiter_(delimiter), parts_(std::move(parts)) {}

    Form form_ = Form::text;
    char delimiter_ = ',';
    std::vector<ColumnKind> parts_;
};

inline const ColumnKind ColumnKind::text{};
inline const ColumnKind ColumnKind::float4{Form::float4};
inline const ColumnKind ColumnKind::float8{Form::float8};
inline const ColumnKind ColumnKind::geometric{Form::geometric};
inline const ColumnKind ColumnKind::float4_array{Form::array, {ColumnKind{Form::float4}}};
inline const ColumnKind ColumnKind::float8_array{Form::array, {ColumnKind{Form::float8}}};

}  // namespace pgmigrate::verify
