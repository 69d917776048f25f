#include "writers.hpp"

#include <fmt/core.h>

#include <string_view>

namespace certtool::docgen {

namespace {

// One UTF-8 sequence at text[i] (advancing i) as a code point; a stray byte as itself.
char32_t next_code_point(std::string_view text, std::size_t& i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    const std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (length == 1 || i + length > text.size()) {
        ++i;
        return lead;
    }
    char32_t cp = lead & (0x7FU >> length);
    for (std::size_t k = 1; k < length; ++k) {
        cp = (cp << 6U) | (byte(i + k) & 0x3FU);
    }
    i += length;
    return cp;
}

// Text for a roff line: backslashes and minus signs escaped (so options copy as typed),
// anything beyond ASCII as \[uXXXX] (groff reads its input as Latin-1 otherwise).
std::string roff(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        const char c = text[i];
        if (c == '\\') {
            out += "\\e";
            ++i;
        } else if (c == '-') {
            out += "\\-";
            ++i;
        } else if (static_cast<unsigned char>(c) < 0x80) {
            out += c;
            ++i;
        } else {
            out += fmt::format("\\[u{:04X}]", static_cast<std::uint32_t>(next_code_point(text, i)));
        }
    }
    return out;
}

// A text line: one starting with a control character ('.' or ') would be read as a request.
std::string line(const std::string& roffed) {
    const bool control = !roffed.empty() && (roffed.front() == '.' || roffed.front() == '\'');
    return fmt::format("{}{}\n", control ? "\\&" : "", roffed);
}

std::string bold(std::string_view text) {
    return fmt::format("\\fB{}\\fR", roff(text));
}

std::string italic(std::string_view text) {
    return fmt::format("\\fI{}\\fR", roff(text));
}

// "--cn HOST", "-o, --output FILE", "NAME ..." as a .TP tag.
std::string option_tag(const OptionDoc& o) {
    if (o.positional) {
        return italic(o.names.front()) + (o.repeatable ? " ..." : "");
    }
    std::string tag;
    for (const auto& n : o.names) {
        tag += (tag.empty() ? "" : ", ") + bold(n);
    }
    return o.is_flag() ? tag : tag + " " + italic(o.value);
}

std::string option_text(const OptionDoc& o) {
    std::string text = o.description;
    if (!o.choices.empty()) {
        std::string list;
        for (const auto& c : o.choices) {
            list += (list.empty() ? "" : ", ") + c;
        }
        text += "; one of: " + list;
    }
    if (o.required && !o.positional) {  // the synopsis shows a positional's need
        text += " (required)";
    } else if (o.repeatable && !o.positional && text.find("repeatable") == std::string::npos) {
        text += " (repeatable)";
    }
    return text;
}

std::string options_list(const std::vector<const OptionDoc*>& options) {
    std::string out;
    for (const OptionDoc* o : options) {
        out += fmt::format(".TP\n{}{}", line(option_tag(*o)), line(roff(option_text(*o))));
    }
    return out;
}

// certtool VERB NAME --cn HOST [options]
std::string synopsis(const CommandDoc& c) {
    std::string out = bold("certtool " + c.name);
    for (const OptionDoc* p : c.positionals()) {
        const std::string shown = italic(p->names.front()) + (p->repeatable ? " ..." : "");
        out += p->required ? fmt::format(" {}", shown) : fmt::format(" [{}]", shown);
    }
    bool optional = false;
    for (const OptionDoc* o : c.named_options()) {
        if (o->required) {
            out += fmt::format(" {}{}{}",
                               bold(o->names.back()),
                               o->is_flag() ? "" : " ",
                               o->is_flag() ? "" : italic(o->value));
        } else {
            optional = true;
        }
    }
    return optional ? fmt::format("{} [{}]", out, italic("options")) : out;
}

std::string exit_codes_list(const std::vector<ExitCodeDoc>& codes) {
    std::string out;
    for (const auto& e : codes) {
        out += fmt::format(".TP 4\n.B {}\n{}", e.code, line(roff(e.meaning)));
    }
    return out;
}

std::string examples_block(const std::vector<std::string>& examples) {
    std::string out = ".nf\n";
    for (const auto& e : examples) {
        out += line(roff(e));
    }
    return out + ".fi\n";
}

std::string command_section(const CommandDoc& c) {
    std::string out = fmt::format(
        ".SS {}\n{}.PP\n{}", roff(c.name), line(roff(c.description) + "."), line(synopsis(c)));
    out += options_list(c.positionals()) + options_list(c.named_options());
    out += fmt::format(".PP\nExit status:\n.RS\n{}.RE\n", exit_codes_list(c.exit_codes));
    if (!c.examples.empty()) {
        out += fmt::format(".PP\nExamples:\n.RS\n{}.RE\n", examples_block(c.examples));
    }
    return out;
}

// Prose that no option definition carries: what the program is for, and where things live.
constexpr std::string_view k_description =
    R"(.SH DESCRIPTION
certtool keeps private keys, certificates and their chains in a store, one file per named entry,
and takes them through their life: a key and a self\-signed certificate, the CSR for a CA, the
CA\-signed certificate with its chain (PEM, DER or PKCS#7, in any order), PKCS#12 import and
export, and the files a server needs.
It also verifies chains and explains every problem, orders a bag of certificates into a chain,
probes the STARTTLS of live SMTP servers and reports TLS use from mail logs.
.PP
Every command takes \fB\-\-store\fR \fIDIR\fR, \fB\-\-json\fR and \fB\-\-help\fR (the
command's options, examples and exit codes).
With \fB\-\-json\fR a command prints one JSON object on standard output, a failure too:
{"error": {"code": ..., "message": ...}, "exit_code": \fIN\fR}.
Otherwise results go to standard output and each diagnostic is one line on standard error,
\(lqcerttool: error: ...\(rq, naming the file and the fix.
A failed command changes nothing: the store and any output file are written in full or not at
all.
.PP
Passwords (for PKCS#12 files) are never taken from the command line, and an option that looks
like one (\fB\-\-password\fR, \fB\-p\fR, ...) is refused without its value being shown.
They are read from a file (\fB\-\-password\-file\fR \fIFILE\fR, its first line), an environment
variable (\fB\-\-password\-env\fR \fIVAR\fR), an open file descriptor (\fB\-\-password\-fd\fR
\fIN\fR), or, with none of these, asked for on the terminal (twice when exporting).
)";

constexpr std::string_view k_environment_and_files =
    R"(.SH ENVIRONMENT
.TP
.B CERTTOOL_HOME
The store directory when \fB\-\-store\fR is not given.
.TP
.B XDG_DATA_HOME
Without \fB\-\-store\fR and \fBCERTTOOL_HOME\fR, the store is \fI$XDG_DATA_HOME/certtool\fR
when this is an absolute path.
.TP
.B HOME
Otherwise the store is \fI$HOME/.local/share/certtool\fR.
.TP
.I VAR
The variable named by \fB\-\-password\-env\fR \fIVAR\fR holds a PKCS#12 password.
.SH FILES
.TP
.I ~/.local/share/certtool/
The default store, created with mode 0700 on its first change.
.TP
.I STORE/entries/NAME.json
One entry, mode 0600: its private key (unencrypted PKCS#8 PEM), certificate, chain, subject
and SAN request, origin and times.
Protect and back up the store as you would a private key.
.TP
.I STORE/.lock
Taken by every change; a command waits up to 30 seconds for it, then exits 3.
)";

}  // namespace

std::string man_page(const ProgramDoc& doc) {
    std::string out = fmt::format(
        ".\\\" certtool(1), generated by certtool_docgen from the command definitions "
        "(apps/certtool): do not edit.\n.TH CERTTOOL 1 \"\" \"certtool {}\" \"User Commands\"\n"
        // Left-aligned, no hyphenation: option names and paths stay whole.
        ".ad l\n.nh\n",
        doc.version);
    out += fmt::format(".SH NAME\n{}", line(roff(doc.name + " - " + doc.summary)));
    out += fmt::format(".SH SYNOPSIS\n{}.br\n{}",
                       line(fmt::format("{} [{}] {} [{}] [{}]",
                                        bold(doc.name),
                                        italic("global options"),
                                        italic("command"),
                                        italic("options"),
                                        italic("arguments"))),
                       line(fmt::format("{} {}", bold(doc.name), bold("--version"))));
    out += k_description;
    out += fmt::format(".SH OPTIONS\nGlobal options; each command takes them too.\n{}",
                       options_list(doc.global.named_options()));
    out += ".SH COMMANDS\n";
    for (const auto& c : doc.commands) {
        if (!c.in_man_page) {
            continue;
        }
        out += command_section(c);
    }
    out +=
        fmt::format(".SH EXIT STATUS\nEach command lists the codes it can return; in general:\n{}",
                    exit_codes_list(doc.global.exit_codes));
    out += k_environment_and_files;
    out += fmt::format(".SH EXAMPLES\n{}", examples_block(doc.global.examples));
    out += ".SH SEE ALSO\n.BR openssl (1),\n.BR postfix (1)\n";
    return out;
}

}  // namespace certtool::docgen
