// Private to config/: the document from JSON already parsed (a revision file holds one as a
// member: parsing it once is most of what reading a large configuration costs).
#pragma once

#include <certtool/config.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace certtool::config {

// Throws Error{parse} as parse_document() does.
[[nodiscard]] Document document_from_json(const nlohmann::json& j, const std::string& source);

}  // namespace certtool::config
