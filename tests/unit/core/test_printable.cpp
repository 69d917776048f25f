#include <certtool/error.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace certtool {

TEST_CASE("printable: one line, no terminal controls, UTF-8 kept", "[core][error]") {
    CHECK(printable("mail.example.com") == "mail.example.com");
    CHECK(printable("a\nb\rc\td") == "a\\nb\\rc\\td");
    CHECK(printable(std::string{"x\x01y\x7f", 4}) == "x\\x01y\\x7f");
    CHECK(printable("\x1b[31mred") == "\\x1b[31mred");
    CHECK(printable("m\xc3\xbcller.example") == "m\xc3\xbcller.example");  // müller
    CHECK(printable("\xe2\x82\xac") == "\xe2\x82\xac");                    // €
    CHECK(printable("\xc2\x9b"
                    "2J") == "\\xc2\\x9b2J");               // C1 CSI is a control
    CHECK(printable("\xff\xfe") == "\\xff\\xfe");           // not UTF-8
    CHECK(printable("\xc3") == "\\xc3");                    // cut sequence
    CHECK(printable("\xe0\x80\x80") == "\\xe0\\x80\\x80");  // overlong
    CHECK(printable("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // surrogate
    CHECK(printable(std::string{"nul\0", 4}) == "nul\\x00");
    // Every error message is made printable.
    CHECK(std::string{Error(Errc::io, "bad\nname").what()} == "bad\\nname");
}

}  // namespace certtool
