#pragma once

namespace kt {

/// Private base of a class that is neither copied nor moved (it owns a handle, a process, a
/// thread, or is registered somewhere by address), like boost::noncopyable: the copy operations
/// are deleted and, with them, the implicit moves.
class NonCopyable {
public:
    NonCopyable(const NonCopyable&) = delete;
    NonCopyable& operator=(const NonCopyable&) = delete;

protected:
    NonCopyable() = default;
    ~NonCopyable() = default;
};

}  // namespace kt
