#include "command_model.hpp"

#include "exit_help.hpp"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace certtool::docgen {

namespace {

// The descriptions of an option's validators, in the order get_type_name() appends them.
std::vector<std::string> validator_descriptions(CLI::Option& opt) {
    std::vector<std::string> out;
    for (int i = 0;; ++i) {
        try {
            out.push_back(opt.get_validator(i)->get_description());
        } catch (const CLI::OptionNotFound&) {
            return out;
        }
    }
}

// "{esa,postfix}" -> {"esa", "postfix"}
std::vector<std::string> choices_in(const std::string& description) {
    std::vector<std::string> out;
    if (description.size() < 2 || description.front() != '{' || description.back() != '}') {
        return out;
    }
    std::istringstream list{description.substr(1, description.size() - 2)};
    for (std::string item; std::getline(list, item, ',');) {
        out.push_back(item);
    }
    return out;
}

OptionDoc describe_option(CLI::Option& opt) {
    OptionDoc doc;
    doc.positional = !opt.nonpositional();
    if (doc.positional) {
        doc.names.push_back(opt.get_name());
    }
    for (const auto& s : opt.get_snames()) {
        doc.names.push_back(fmt::format("-{}", s));
    }
    for (const auto& l : opt.get_lnames()) {
        doc.names.push_back(fmt::format("--{}", l));
    }
    doc.description = opt.get_description();
    doc.required = opt.get_required();
    doc.repeatable = opt.get_items_expected_max() > 1;
    // get_type_name() is the type name followed by ":" and each validator's description;
    // the value shown is the type name alone, the choices come from a "{a,b}" description.
    std::string type = opt.get_type_name();
    std::string suffix;
    for (const auto& validator : validator_descriptions(opt)) {
        if (validator.empty()) {
            continue;
        }
        suffix += fmt::format(":{}", validator);
        if (doc.choices.empty()) {
            doc.choices = choices_in(validator);
        }
    }
    if (type.size() >= suffix.size() &&
        type.compare(type.size() - suffix.size(), suffix.size(), suffix) == 0) {
        type.resize(type.size() - suffix.size());
    }
    if (opt.get_items_expected_max() > 0 || doc.positional) {
        doc.value = type;
    }
    return doc;
}

// The lines of a footer's EXAMPLES block (cli::footer(): "EXAMPLES" then "  example" lines).
std::vector<std::string> examples_in(const std::string& footer) {
    std::vector<std::string> out;
    std::istringstream lines{footer};
    bool in_block = false;
    for (std::string line; std::getline(lines, line);) {
        if (line == "EXAMPLES") {
            in_block = true;
        } else if (in_block && line.rfind("  ", 0) == 0) {
            out.push_back(line.substr(2));
        } else if (in_block) {
            break;
        }
    }
    return out;
}

CommandDoc describe_command(CLI::App& app, const std::string& name) {
    CommandDoc doc;
    doc.name = name;
    doc.description = app.get_description();
    for (CLI::Option* opt : app.get_options()) {
        doc.options.push_back(describe_option(*opt));
    }
    doc.examples = examples_in(app.get_footer());
    for (const auto& row : cli::exit_codes_for(app.get_parent() != nullptr ? name : "")) {
        doc.exit_codes.push_back({static_cast<int>(row.code), std::string{row.meaning}});
    }
    return doc;
}

}  // namespace

bool OptionDoc::takes_file() const {
    // A positional's value is its type (TEXT); its name says what it is.
    return (positional ? names.front() : value).find("FILE") != std::string::npos;
}

bool OptionDoc::takes_directory_only() const {
    return value == "DIR";
}

std::vector<const OptionDoc*> CommandDoc::positionals() const {
    std::vector<const OptionDoc*> out;
    for (const auto& o : options) {
        if (o.positional) {
            out.push_back(&o);
        }
    }
    return out;
}

std::vector<const OptionDoc*> CommandDoc::named_options() const {
    std::vector<const OptionDoc*> out;
    for (const auto& o : options) {
        if (!o.positional) {
            out.push_back(&o);
        }
    }
    return out;
}

ProgramDoc describe_program(CLI::App& app, const std::string& version) {
    ProgramDoc doc;
    doc.name = app.get_name();
    doc.version = version;
    doc.global = describe_command(app, app.get_name());
    // "certtool: what it is" -> "what it is"
    const std::size_t colon = doc.global.description.find(": ");
    doc.summary = colon == std::string::npos ? doc.global.description
                                             : doc.global.description.substr(colon + 2);
    for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
        if (!cli::has_own_exit_codes(sub->get_name())) {
            throw std::runtime_error("command '" + sub->get_name() +
                                     "' has no exit codes: add its table to "
                                     "apps/certtool/exit_help.cpp");
        }
        const auto nested = sub->get_subcommands([](CLI::App*) { return true; });
        if (nested.empty()) {
            doc.commands.push_back(describe_command(*sub, sub->get_name()));
            continue;
        }
        CommandDoc group = describe_command(*sub, sub->get_name());
        group.in_man_page = false;
        OptionDoc command;
        command.names = {"COMMAND"};
        command.value = "COMMAND";
        command.positional = true;
        command.required = true;
        command.description = "the " + sub->get_name() + " command";
        for (CLI::App* n : nested) {
            command.choices.push_back(n->get_name());
            group.subcommands.push_back(n->get_name());
            CommandDoc one = describe_command(*n, sub->get_name() + " " + n->get_name());
            one.exit_codes = group.exit_codes;
            one.in_completion = false;
            doc.commands.push_back(std::move(one));
        }
        group.options.insert(group.options.begin(), command);
        doc.commands.push_back(std::move(group));
    }
    return doc;
}

}  // namespace certtool::docgen
