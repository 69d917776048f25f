#include <certtool/finding.hpp>

namespace certtool {

std::string_view severity_name(Severity s) noexcept {
    switch (s) {
        case Severity::info:
            return "info";
        case Severity::warning:
            return "warning";
        case Severity::error:
            return "error";
    }
    return "warning";
}

}  // namespace certtool
