// A bank of accounts moved between by std::threads, each transfer under the two accounts' std::mutex, taken
// in address order (std::scoped_lock) so that no two threads deadlock.
//
//   g++ -O2 -std=c++17 -pthread bank.cpp -o bank && threadlab trace -- ./bank
//
// What ThreadLab shows: one lane per std::thread (std::thread is pthread_create underneath), each mutex
// named by the code that first took it (std::mutex is a pthread mutex), waits where two transfers want the
// same account, and the total that stays 4000 however the transfers interleave.
#include <array>
#include <cstdio>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

struct Account {
    std::mutex lock;
    long balance = 1000;
};

int main()
{
    std::array<Account, 4> accounts;
    std::vector<std::thread> tellers;
    for (int t = 0; t < 3; ++t)
        tellers.emplace_back([&accounts, t] {
            std::mt19937 random { unsigned(t) };
            for (int i = 0; i < 20000; ++i) {
                Account& from = accounts[random() % accounts.size()];
                Account& to = accounts[random() % accounts.size()];
                if (&from == &to)
                    continue;
                std::scoped_lock both(from.lock, to.lock);
                from.balance -= 1;
                to.balance += 1;
            }
        });
    for (auto& t : tellers)
        t.join();
    long total = 0;
    for (const auto& a : accounts)
        total += a.balance;
    std::printf("total = %ld (expected 4000)\n", total);
    return total == 4000 ? 0 : 1;
}
