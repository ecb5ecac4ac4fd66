// JSON text without a document tree: the strict object reader and string escaping (see json_text.hpp).
#include "peershare/core/json_text.hpp"

#include <algorithm>
#include <charconv>

namespace peershare::json_text {
namespace {

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

int hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Length of the well-formed UTF-8 sequence (RFC 3629) of 2 to 4 bytes at the start of `s`, whose
// first byte is not ASCII; 0 if there is none.
std::size_t utf8_sequence(std::string_view s) noexcept {
    const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const auto cont = [&](std::size_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
        return i < s.size() && b(i) >= lo && b(i) <= hi;
    };
    const unsigned char c = b(0);
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
    if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
    if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;  // no UTF-16 surrogates
    if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
    if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
    if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
    return 0;
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Whether a number (valid JSON grammar) is larger in magnitude than the largest double: common JSON
// libraries, ours among them, refuse it rather than read infinity, so the server refuses it too.
bool beyond_double(std::string_view n) {
    std::size_t i = n.starts_with('-') ? 1 : 0;
    const std::size_t int_start = i;
    while (i < n.size() && is_digit(n[i])) ++i;
    const std::string_view int_part = n.substr(int_start, i - int_start);
    std::string_view fraction;
    if (i < n.size() && n[i] == '.') {
        const std::size_t start = ++i;
        while (i < n.size() && is_digit(n[i])) ++i;
        fraction = n.substr(start, i - start);
    }
    constexpr long long exponent_cap = 1'000'000;  // far beyond any double; keeps the sum below from overflowing
    long long exponent = 0;
    if (i < n.size() && (n[i] == 'e' || n[i] == 'E')) {
        ++i;
        const bool negative = n[i] == '-';
        if (n[i] == '+' || n[i] == '-') ++i;
        for (; i < n.size(); ++i) exponent = std::min(exponent * 10 + (n[i] - '0'), exponent_cap);
        if (negative) exponent = -exponent;
    }
    // The decimal exponent of the leading non-zero digit.
    long long lead;
    if (auto nz = int_part.find_first_not_of('0'); nz != std::string_view::npos) {
        lead = static_cast<long long>(int_part.size() - nz - 1) + exponent;
    } else if (auto fz = fraction.find_first_not_of('0'); fz != std::string_view::npos) {
        lead = exponent - static_cast<long long>(fz + 1);
    } else {
        return false;  // zero
    }
    if (lead != 308) return lead > 308;  // the largest double is 1.797...e308
    double value = 0;
    return std::from_chars(n.data(), n.data() + n.size(), value).ec == std::errc::result_out_of_range;
}

// A recursive-descent reader over the text; every step checks the grammar and stops at the first
// error.
class reader {
public:
    explicit reader(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

    bool at_end() {
        skip_space();
        return p_ == end_;
    }

    bool top_object(const std::function<void(std::string_view, const value&)>& on_member) {
        skip_space();
        if (p_ == end_ || *p_ != '{') return false;
        return sequence('}', [&] { return member(&on_member); });
    }

private:
    void skip_space() {
        while (p_ != end_ && is_space(*p_)) ++p_;
    }

    bool literal(std::string_view word) {
        if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) return false;
        p_ += word.size();
        return true;
    }

    bool any_value(kind& type) {
        if (p_ == end_) return false;
        switch (*p_) {
            case '"': {
                type = kind::string;
                bool escaped = false;
                return string(escaped);
            }
            case '{': type = kind::object; return object();
            case '[': type = kind::array; return array();
            case 't': type = kind::boolean; return literal("true");
            case 'f': type = kind::boolean; return literal("false");
            case 'n': type = kind::null; return literal("null");
            default: type = kind::number; return number();
        }
    }

    bool object() {
        return sequence('}', [&] { return member(nullptr); });
    }

    bool array() {
        return sequence(']', [&] {
            kind type;
            return any_value(type);
        });
    }

    // Elements separated by commas up to `close`, the opening bracket at p_; `element` reads one.
    template <class Element>
    bool sequence(char close, Element element) {
        ++p_;
        skip_space();
        if (p_ != end_ && *p_ == close) {
            ++p_;
            return true;
        }
        for (;;) {
            skip_space();
            if (!element()) return false;
            skip_space();
            if (p_ == end_) return false;
            if (*p_ == close) {
                ++p_;
                return true;
            }
            if (*p_ != ',') return false;
            ++p_;
        }
    }

    // `"key": value`; handed to `on_member` (with the key decoded) when there is one.
    bool member(const std::function<void(std::string_view, const value&)>* on_member) {
        const char* key_start = p_;
        bool escaped = false;
        if (!string(escaped)) return false;
        const char* key_end = p_;
        skip_space();
        if (p_ == end_ || *p_ != ':') return false;
        ++p_;
        skip_space();
        const char* value_start = p_;
        kind type;
        if (!any_value(type)) return false;
        if (!on_member) return true;
        const value v{type, std::string_view(value_start, static_cast<std::size_t>(p_ - value_start))};
        const std::string_view quoted(key_start, static_cast<std::size_t>(key_end - key_start));
        if (!escaped) (*on_member)(quoted.substr(1, quoted.size() - 2), v);
        else (*on_member)(decode_string({kind::string, quoted}), v);
        return true;
    }

    bool number() {
        const char* start = p_;
        if (!number_grammar()) return false;
        return !beyond_double(std::string_view(start, static_cast<std::size_t>(p_ - start)));
    }

    bool number_grammar() {
        if (p_ != end_ && *p_ == '-') ++p_;
        if (p_ == end_) return false;
        if (*p_ == '0') {
            ++p_;
        } else if (*p_ >= '1' && *p_ <= '9') {
            while (p_ != end_ && is_digit(*p_)) ++p_;
        } else {
            return false;
        }
        if (p_ != end_ && *p_ == '.') {
            ++p_;
            if (p_ == end_ || !is_digit(*p_)) return false;
            while (p_ != end_ && is_digit(*p_)) ++p_;
        }
        if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
            ++p_;
            if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
            if (p_ == end_ || !is_digit(*p_)) return false;
            while (p_ != end_ && is_digit(*p_)) ++p_;
        }
        return true;
    }

    // The four hex digits of a \u escape at p_ (after the 'u'), or -1.
    int hex4() {
        if (end_ - p_ < 4) return -1;
        int v = 0;
        for (int i = 0; i < 4; ++i) {
            int d = hex_digit(p_[i]);
            if (d < 0) return -1;
            v = v * 16 + d;
        }
        p_ += 4;
        return v;
    }

    // A string at p_ (which is '"'); `escaped` tells whether it holds escapes.
    bool string(bool& escaped) {
        if (p_ == end_ || *p_ != '"') return false;
        ++p_;
        for (;;) {
            if (p_ == end_) return false;
            const auto c = static_cast<unsigned char>(*p_);
            if (c == '"') {
                ++p_;
                return true;
            }
            if (c < 0x20) return false;
            if (c == '\\') {
                escaped = true;
                ++p_;
                if (p_ == end_) return false;
                const char e = *p_++;
                if (e == 'u') {
                    int unit = hex4();
                    if (unit < 0) return false;
                    if (unit >= 0xDC00 && unit <= 0xDFFF) return false;  // a low surrogate alone
                    if (unit >= 0xD800 && unit <= 0xDBFF) {              // must be followed by its low half
                        if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
                        p_ += 2;
                        int low = hex4();
                        if (low < 0xDC00 || low > 0xDFFF) return false;
                    }
                } else if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't') {
                    return false;
                }
                continue;
            }
            if (c < 0x80) {
                ++p_;
                continue;
            }
            std::size_t n = utf8_sequence(std::string_view(p_, static_cast<std::size_t>(end_ - p_)));
            if (n == 0) return false;
            p_ += n;
        }
    }

    const char* p_;
    const char* end_;
};

}  // namespace

bool read_object(std::string_view text, const std::function<void(std::string_view, const value&)>& on_member) {
    reader r(text);
    return r.top_object(on_member) && r.at_end();
}

std::string decode_string(const value& v) {
    // The text was validated by read_object: quotes around, escapes well formed.
    std::string_view s = v.text.substr(1, v.text.size() - 2);
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        if (s[i] != '\\') {
            auto next = s.find('\\', i);
            if (next == std::string_view::npos) next = s.size();
            out.append(s.substr(i, next - i));
            i = next;
            continue;
        }
        const char e = s[i + 1];
        i += 2;
        switch (e) {
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                auto unit = [&](std::size_t at) {
                    std::uint32_t v4 = 0;
                    for (std::size_t k = 0; k < 4; ++k) v4 = v4 * 16 + static_cast<std::uint32_t>(hex_digit(s[at + k]));
                    return v4;
                };
                std::uint32_t cp = unit(i);
                i += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    std::uint32_t low = unit(i + 2);
                    i += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                }
                append_utf8(out, cp);
                break;
            }
            default: out += e; break;  // '"', '\\', '/'
        }
    }
    return out;
}

std::optional<std::uint64_t> as_unsigned(const value& v, std::uint64_t max) {
    if (v.type != kind::number || v.text.empty()) return std::nullopt;
    for (char c : v.text)
        if (!is_digit(c)) return std::nullopt;
    std::uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), n);
    if (ec != std::errc{} || ptr != v.text.data() + v.text.size() || n > max) return std::nullopt;
    return n;
}

std::string compact(const value& v) {
    std::string out;
    out.reserve(v.text.size());
    bool in_string = false, escaped = false;
    for (char c : v.text) {
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
            out += c;
        } else if (!is_space(c)) {
            if (c == '"') in_string = true;
            out += c;
        }
    }
    return out;
}

void append_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        // A run of printable ASCII that needs no escape is copied at once.
        std::size_t plain = i;
        while (plain < s.size()) {
            const auto b = static_cast<unsigned char>(s[plain]);
            if (b < 0x20 || b >= 0x80 || b == '"' || b == '\\') break;
            ++plain;
        }
        out.append(s.substr(i, plain - i));
        if ((i = plain) == s.size()) break;
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            std::size_t n = utf8_sequence(s.substr(i));
            if (n == 0) {
                out += "\xEF\xBF\xBD";  // U+FFFD
                ++i;
            } else {
                out.append(s.substr(i, n));
                i += n;
            }
            continue;
        }
        ++i;
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    out += "\\u00";
                    out += hex[c >> 4];
                    out += hex[c & 0xF];
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    out += '"';
}

}  // namespace peershare::json_text
