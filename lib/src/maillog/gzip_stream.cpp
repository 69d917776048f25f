#include "gzip_stream.hpp"

#include <certtool/error.hpp>

namespace certtool::maillog {

namespace {

constexpr int k_gzip_only = 16 + MAX_WBITS;  // a gzip wrapper, checked (CRC-32, length)

}  // namespace

GzipStream::GzipStream() {
    if (inflateInit2(&m_z, k_gzip_only) != Z_OK) {
        throw Error(Errc::io, "cannot start gzip decompression: out of memory");
    }
}

GzipStream::~GzipStream() {
    inflateEnd(&m_z);
}

void GzipStream::input(const unsigned char* data, std::size_t size) noexcept {
    m_z.next_in = const_cast<unsigned char*>(data);  // NOLINT: zlib's API is not const
    m_z.avail_in = static_cast<uInt>(size);
    m_given += size;
}

std::size_t GzipStream::inflate(char* out, std::size_t size) {
    m_z.next_out = reinterpret_cast<unsigned char*>(out);  // NOLINT: bytes either way
    m_z.avail_out = static_cast<uInt>(size);
    while (m_z.avail_out == size && m_z.avail_in != 0 && !m_problem) {
        if (!m_in_member && !start_member()) {
            break;
        }
        const int rc = ::inflate(&m_z, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            m_in_member = false;
        } else if (rc == Z_MEM_ERROR) {
            throw Error(Errc::io, "gzip decompression: out of memory");
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            fail(Damage::corrupt, m_z.msg);
        }
    }
    return size - m_z.avail_out;
}

// After a member, only another member may follow (concatenated .gz files are one log).
bool GzipStream::start_member() {
    if (*m_z.next_in != 0x1f) {
        fail(Damage::trailing_garbage, nullptr);
        return false;
    }
    inflateReset(&m_z);
    m_in_member = true;
    ++m_members;
    return true;
}

void GzipStream::end_of_input() noexcept {
    if (m_in_member && !m_problem) {
        fail(Damage::truncated, nullptr);
    }
}

void GzipStream::fail(Damage kind, const char* detail) noexcept {
    m_problem = Problem{kind, detail != nullptr ? detail : "", m_given - m_z.avail_in, m_members};
}

}  // namespace certtool::maillog
