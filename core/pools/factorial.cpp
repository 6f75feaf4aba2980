#include "factorial.h"

#include <gmp.h>
#include <memory>

namespace tl {

namespace {
constexpr std::uint64_t kStepsPerCheckpoint = 64;

struct Mpz {
    mpz_t value;
    Mpz() { mpz_init_set_ui(value, 1); }
    ~Mpz() { mpz_clear(value); }
    Mpz(const Mpz&) = delete;
    Mpz& operator=(const Mpz&) = delete;
};
}

std::int64_t factorialDigits(std::uint64_t number, const std::function<bool()>& checkpoint)
{
    Mpz product;
    for (std::uint64_t k = 2; k <= number; ++k) {
        mpz_mul_ui(product.value, product.value, static_cast<unsigned long>(k));
        if (k % kStepsPerCheckpoint == 0 && !checkpoint())
            return -1;
    }
    // sizeinbase may overcount by one; the decimal text is what a user would count.
    const std::size_t bound = mpz_sizeinbase(product.value, 10) + 2;
    const std::unique_ptr<char[]> text(new char[bound]);
    mpz_get_str(text.get(), 10, product.value);
    return std::int64_t(std::char_traits<char>::length(text.get()));
}

} // namespace tl
