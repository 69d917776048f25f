// The managed section certtool keeps at the end of main.cf and master.cf:
//
//   # BEGIN certtool managed (revision N) — do not edit
//   ...
//   # END certtool managed
//
// Everything outside it is the user's and is kept byte for byte. Private to deploy.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certtool::deploy::detail {

inline constexpr std::string_view k_begin_marker = "# BEGIN certtool managed";
inline constexpr std::string_view k_end_marker = "# END certtool managed";

// The text without the managed section (and without the blank line certtool puts before it).
// A section without its END line (a hand-edited file) runs to the end of the file.
[[nodiscard]] std::string without_managed_section(std::string_view text);

// The revision the managed section names, nullopt without one.
[[nodiscard]] std::optional<int> managed_revision(std::string_view text);

// The user's text followed by a new managed section with `lines`, placed last (Postfix takes the
// last definition of a main.cf parameter). An existing section is replaced, never duplicated.
[[nodiscard]] std::string with_managed_section(std::string_view text,
                                               int revision,
                                               const std::vector<std::string>& lines);

// main.cf's parameters outside the managed section: name -> raw value (the last definition,
// continuation lines joined with a space), and the 1-based line it starts on.
struct MainCfParameter {
    std::string value;
    int line{0};
};

using MainCfParameters = std::map<std::string, MainCfParameter, std::less<>>;
[[nodiscard]] MainCfParameters user_parameters(std::string_view main_cf);

}  // namespace certtool::deploy::detail
