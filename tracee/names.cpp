// Names for addresses: dladdr's dynamic symbols first, then the file's own .symtab (an executable exports
// none of its symbols, so `static pthread_mutex_t counter_lock` is only there), read through a private
// mapping of the file: no malloc, run once per new object.
#include "tracee.h"

#include <cstring>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tl::tracee {

namespace {

constexpr unsigned char kNativeClass = __ELF_NATIVE_CLASS == 64 ? ELFCLASS64 : ELFCLASS32;

unsigned symbolType(unsigned char info)
{
    return info & 0xf; // ELF64_ST_TYPE and ELF32_ST_TYPE alike
}

bool isObject(unsigned type)
{
    return type == STT_OBJECT || type == STT_TLS || type == STT_COMMON;
}

bool isFunction(unsigned type)
{
    return type == STT_FUNC || type == STT_GNU_IFUNC;
}

bool fits(unsigned type, bool wantObject)
{
    return wantObject ? isObject(type) : isFunction(type);
}

void format(char* out, std::size_t n, const char* name, std::uintptr_t offset)
{
    abi::copyName(out, n, name);
    if (offset == 0)
        return;
    char hex[24] = "+0x";
    char digits[17];
    int i = 16;
    digits[16] = '\0';
    do {
        digits[--i] = "0123456789abcdef"[offset & 0xf];
        offset >>= 4;
    } while (offset && i > 0);
    abi::copyName(hex + 3, sizeof hex - 3, digits + i);
    const std::size_t used = std::strlen(out);
    abi::copyName(out + used, n - used, hex);
}

const void* mainProgramBase()
{
    static const void* base = [] {
        Dl_info info {};
        const auto entry = getauxval(AT_ENTRY);
        return entry && dladdr(reinterpret_cast<void*>(entry), &info) ? info.dli_fbase : nullptr;
    }();
    return base;
}

// The symbol covering `address` in the ELF file of the object `info` describes, from .symtab (or .dynsym).
bool fileSymbol(const Dl_info& info, std::uintptr_t address, bool wantObject, char* out, std::size_t n)
{
    const char* path = info.dli_fbase == mainProgramBase() ? "/proc/self/exe" : info.dli_fname;
    if (!path || !*path)
        return false;
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st { };
    void* map = MAP_FAILED;
    if (fstat(fd, &st) == 0 && std::size_t(st.st_size) >= sizeof(ElfW(Ehdr)))
        map = mmap(nullptr, std::size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return false;
    const auto size = std::size_t(st.st_size);
    const auto* base = static_cast<const char*>(map);
    const auto* eh = reinterpret_cast<const ElfW(Ehdr)*>(base);
    bool found = false;
    auto inside = [&](std::uint64_t offset, std::uint64_t bytes) { return offset <= size && bytes <= size - offset; };
    if (std::memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_ident[EI_CLASS] == kNativeClass
        && eh->e_shentsize == sizeof(ElfW(Shdr)) && eh->e_phentsize == sizeof(ElfW(Phdr))
        && inside(eh->e_shoff, std::uint64_t(eh->e_shnum) * sizeof(ElfW(Shdr)))
        && inside(eh->e_phoff, std::uint64_t(eh->e_phnum) * sizeof(ElfW(Phdr)))) {
        // Where the file's addresses are in memory: shifted by the load bias for a PIE or a library.
        std::uintptr_t bias = 0;
        if (eh->e_type == ET_DYN) {
            const auto* ph = reinterpret_cast<const ElfW(Phdr)*>(base + eh->e_phoff);
            const long page = sysconf(_SC_PAGESIZE);
            for (int i = 0; i < eh->e_phnum; ++i)
                if (ph[i].p_type == PT_LOAD) {
                    bias = std::uintptr_t(info.dli_fbase) - (ph[i].p_vaddr & ~std::uintptr_t(page - 1));
                    break;
                }
        }
        const auto* sections = reinterpret_cast<const ElfW(Shdr)*>(base + eh->e_shoff);
        for (const unsigned wanted : { unsigned(SHT_SYMTAB), unsigned(SHT_DYNSYM) }) {
            for (int s = 0; s < eh->e_shnum && !found; ++s) {
                const ElfW(Shdr)& symtab = sections[s];
                if (symtab.sh_type != wanted || symtab.sh_entsize != sizeof(ElfW(Sym)) || symtab.sh_link >= eh->e_shnum
                    || !inside(symtab.sh_offset, symtab.sh_size))
                    continue;
                const ElfW(Shdr)& strtab = sections[symtab.sh_link];
                if (!inside(strtab.sh_offset, strtab.sh_size))
                    continue;
                const auto* syms = reinterpret_cast<const ElfW(Sym)*>(base + symtab.sh_offset);
                const std::size_t count = symtab.sh_size / sizeof(ElfW(Sym));
                for (std::size_t k = 0; k < count; ++k) {
                    const ElfW(Sym)& sym = syms[k];
                    if (sym.st_shndx == SHN_UNDEF || !fits(symbolType(sym.st_info), wantObject)
                        || sym.st_name >= strtab.sh_size)
                        continue;
                    const std::uintptr_t start = sym.st_value + bias;
                    if (address >= start && address < start + std::max<std::uintptr_t>(sym.st_size, 1)) {
                        const char* name = base + strtab.sh_offset + sym.st_name;
                        if (!*name || std::memchr(name, '\0', strtab.sh_size - sym.st_name) == nullptr)
                            continue;
                        format(out, n, name, address - start);
                        found = true;
                        break;
                    }
                }
            }
            if (found)
                break;
        }
    }
    munmap(map, size);
    return found;
}

const char* baseName(const char* path)
{
    const char* slash = std::strrchr(path, '/');
    return slash ? slash + 1 : path;
}

} // namespace

bool symbolName(const void* address, bool wantObject, char* out, std::size_t n) noexcept
{
    Dl_info info {};
    void* entry = nullptr;
    if (!dladdr1(address, &info, &entry, RTLD_DL_SYMENT))
        return false; // on the heap or a stack: no symbol can name it
    const auto* sym = static_cast<const ElfW(Sym)*>(entry);
    const auto a = std::uintptr_t(address);
    if (info.dli_sname && info.dli_saddr && sym && fits(symbolType(sym->st_info), wantObject)) {
        const auto start = std::uintptr_t(info.dli_saddr);
        if (a >= start && a < start + std::max<std::uintptr_t>(sym->st_size, 1)) {
            format(out, n, info.dli_sname, a - start);
            return true;
        }
    }
    if (fileSymbol(info, a, wantObject, out, n))
        return true;
    if (wantObject)
        return false; // data with no symbol: named by the call site instead
    const char* file = info.dli_fbase == mainProgramBase() ? program_invocation_short_name
                                                           : (info.dli_fname ? baseName(info.dli_fname) : "");
    format(out, n, file && *file ? file : "program", a - std::uintptr_t(info.dli_fbase));
    return true;
}

} // namespace tl::tracee
