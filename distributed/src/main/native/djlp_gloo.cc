// A C interface over Gloo's collectives (the library PyTorch's ProcessGroupGloo runs on the CPU),
// for Java through JNA. It owns no arithmetic of its own: sums and maxima are Gloo's, over Gloo's
// TCP transport. Every entry point catches what Gloo throws and returns it as text, so that no C++
// exception crosses into the JVM.
#include <gloo/allreduce.h>
#include <gloo/barrier.h>
#include <gloo/broadcast.h>
#include <gloo/math.h>
#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/store.h>
#include <gloo/transport/tcp/device.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

extern "C" {
// The rendezvous store lives in Java (rank 0 serves it at MASTER_ADDR:MASTER_PORT).
// set returns 0 on success; get blocks up to timeout_ms for the key and returns its length
// (copying at most capacity bytes), or -1 when the key did not appear in time.
typedef int (*djlp_store_set)(const char* key, const char* data, int64_t length);
typedef int64_t (*djlp_store_get)(const char* key, char* out, int64_t capacity, int64_t timeout_ms);
}

namespace {

constexpr int kOk = 0;
constexpr int kFailed = 1;

void copyError(const char* message, char* error, int capacity) {
    if (error == nullptr || capacity <= 0) {
        return;
    }
    std::strncpy(error, message, capacity - 1);
    error[capacity - 1] = '\0';
}

class CallbackStore : public gloo::rendezvous::Store {
  public:
    CallbackStore(djlp_store_set set, djlp_store_get get, std::chrono::milliseconds timeout)
        : set_(set), get_(get), timeout_(timeout) {}

    void set(const std::string& key, const std::vector<char>& data) override {
        if (set_(key.c_str(), data.data(), static_cast<int64_t>(data.size())) != 0) {
            throw std::runtime_error("rendezvous store refused key " + key);
        }
    }

    std::vector<char> get(const std::string& key) override {
        std::vector<char> data(4096);
        for (;;) {
            int64_t length = get_(key.c_str(), data.data(), data.size(), timeout_.count());
            if (length < 0) {
                throw std::runtime_error("rendezvous key " + key + " did not appear within "
                                         + std::to_string(timeout_.count()) + " ms");
            }
            if (static_cast<size_t>(length) <= data.size()) {
                data.resize(length);
                return data;
            }
            data.resize(length);
        }
    }

    void wait(const std::vector<std::string>& keys) override { wait(keys, timeout_); }

    void wait(const std::vector<std::string>& keys,
              const std::chrono::milliseconds& timeout) override {
        for (const auto& key : keys) {
            if (get_(key.c_str(), nullptr, 0, timeout.count()) < 0) {
                throw std::runtime_error("rendezvous key " + key + " did not appear within "
                                         + std::to_string(timeout.count()) + " ms");
            }
        }
    }

  private:
    djlp_store_set set_;
    djlp_store_get get_;
    std::chrono::milliseconds timeout_;
};

struct Group {
    std::shared_ptr<gloo::transport::Device> device;
    std::shared_ptr<gloo::rendezvous::Context> context;
    std::vector<char> scratch;
    uint32_t tag = 0;
};

// Data types, as the Java side numbers them.
enum DataType { kFloat32 = 0, kFloat64 = 1, kFloat16 = 2, kInt32 = 3, kInt64 = 4, kUint8 = 5 };
enum ReduceOp { kSum = 0, kMax = 1 };

size_t elementSize(int type) {
    switch (type) {
        case kFloat32: case kInt32: return 4;
        case kFloat64: case kInt64: return 8;
        case kFloat16: return 2;
        case kUint8: return 1;
        default: return 0;
    }
}

template <typename T>
void reduce(Group* group, char* data, size_t elements, int op, std::chrono::milliseconds timeout) {
    gloo::AllreduceOptions options(group->context);
    options.setOutput(reinterpret_cast<T*>(data), elements);
    options.setTag(group->tag++);
    options.setTimeout(timeout);
    using Fn = void (*)(void*, const void*, const void*, size_t);
    Fn sum = &gloo::sum<T>;
    Fn max = &gloo::max<T>;
    options.setReduceFunction(op == kMax ? max : sum);
    gloo::allreduce(options);
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) void* djlp_gloo_connect(
        int rank, int size, const char* hostname, int64_t timeout_ms, djlp_store_set set,
        djlp_store_get get, char* error, int error_capacity) {
    try {
        auto timeout = std::chrono::milliseconds(timeout_ms);
        gloo::transport::tcp::attr attr(hostname);
        auto group = std::make_unique<Group>();
        group->device = gloo::transport::tcp::CreateDevice(attr);
        group->context = std::make_shared<gloo::rendezvous::Context>(rank, size);
        group->context->setTimeout(timeout);
        CallbackStore store(set, get, timeout);
        group->context->connectFullMesh(store, group->device);
        return group.release();
    } catch (const std::exception& e) {
        copyError(e.what(), error, error_capacity);
    } catch (...) {
        copyError("unknown error in Gloo's rendezvous", error, error_capacity);
    }
    return nullptr;
}

// All-reduces count buffers as one bucket: they are packed into one contiguous buffer, reduced
// by Gloo in one call, and unpacked in place.
__attribute__((visibility("default"))) int djlp_gloo_allreduce(
        void* handle, void** buffers, const int64_t* elements, int count, int type, int op,
        int64_t timeout_ms, char* error, int error_capacity) {
    try {
        auto* group = static_cast<Group*>(handle);
        size_t width = elementSize(type);
        size_t total = 0;
        for (int i = 0; i < count; i++) {
            total += static_cast<size_t>(elements[i]);
        }
        char* data;
        if (count == 1) {
            data = static_cast<char*>(buffers[0]);
        } else {
            group->scratch.resize(total * width);
            data = group->scratch.data();
            size_t offset = 0;
            for (int i = 0; i < count; i++) {
                std::memcpy(data + offset, buffers[i], elements[i] * width);
                offset += elements[i] * width;
            }
        }
        auto timeout = std::chrono::milliseconds(timeout_ms);
        switch (type) {
            case kFloat32: reduce<float>(group, data, total, op, timeout); break;
            case kFloat64: reduce<double>(group, data, total, op, timeout); break;
            case kFloat16: reduce<gloo::float16>(group, data, total, op, timeout); break;
            case kInt32: reduce<int32_t>(group, data, total, op, timeout); break;
            case kInt64: reduce<int64_t>(group, data, total, op, timeout); break;
            case kUint8: reduce<uint8_t>(group, data, total, op, timeout); break;
            default: copyError("unknown data type code", error, error_capacity); return kFailed;
        }
        if (count > 1) {
            size_t offset = 0;
            for (int i = 0; i < count; i++) {
                std::memcpy(buffers[i], data + offset, elements[i] * width);
                offset += elements[i] * width;
            }
        }
        return kOk;
    } catch (const std::exception& e) {
        copyError(e.what(), error, error_capacity);
    } catch (...) {
        copyError("unknown error in Gloo's all-reduce", error, error_capacity);
    }
    return kFailed;
}

__attribute__((visibility("default"))) int djlp_gloo_broadcast(
        void* handle, void* buffer, int64_t bytes, int root, int64_t timeout_ms, char* error,
        int error_capacity) {
    try {
        auto* group = static_cast<Group*>(handle);
        gloo::BroadcastOptions options(group->context);
        options.setOutput(static_cast<uint8_t*>(buffer), static_cast<size_t>(bytes));
        options.setRoot(root);
        options.setTag(group->tag++);
        options.setTimeout(std::chrono::milliseconds(timeout_ms));
        gloo::broadcast(options);
        return kOk;
    } catch (const std::exception& e) {
        copyError(e.what(), error, error_capacity);
    } catch (...) {
        copyError("unknown error in Gloo's broadcast", error, error_capacity);
    }
    return kFailed;
}

__attribute__((visibility("default"))) int djlp_gloo_barrier(
        void* handle, int64_t timeout_ms, char* error, int error_capacity) {
    try {
        auto* group = static_cast<Group*>(handle);
        gloo::BarrierOptions options(group->context);
        options.setTag(group->tag++);
        options.setTimeout(std::chrono::milliseconds(timeout_ms));
        gloo::barrier(options);
        return kOk;
    } catch (const std::exception& e) {
        copyError(e.what(), error, error_capacity);
    } catch (...) {
        copyError("unknown error in Gloo's barrier", error, error_capacity);
    }
    return kFailed;
}

// Releases a group whose collectives all succeeded. A group that failed is never released: its
// connections may still be in use by Gloo's transport thread.
__attribute__((visibility("default"))) void djlp_gloo_close(void* handle) {
    try {
        delete static_cast<Group*>(handle);
    } catch (...) {
    }
}

}  // extern "C"
