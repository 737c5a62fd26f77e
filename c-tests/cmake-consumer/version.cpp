// Through cppzmq's zmq.hpp: prints the version of the libzmq it runs with,
// after a message round trip over inproc.
#include <cstring>
#include <iostream>
#include <zmq.hpp>

int main ()
{
    int major, minor, patch;
    zmq::version (&major, &minor, &patch);
    if (ZMQ_MAKE_VERSION (major, minor, patch) != ZMQ_VERSION) {
        std::cerr << "zmq.h and the library disagree on the version\n";
        return 1;
    }

    zmq::context_t ctx;
    zmq::socket_t a (ctx, zmq::socket_type::pair);
    zmq::socket_t b (ctx, zmq::socket_type::pair);
    a.bind ("inproc://consumer-cpp");
    b.connect ("inproc://consumer-cpp");
    b.send (zmq::str_buffer ("ping"), zmq::send_flags::none);
    zmq::message_t msg;
    const auto got = a.recv (msg, zmq::recv_flags::none);
    if (!got || msg.to_string () != "ping") {
        std::cerr << "round trip failed\n";
        return 1;
    }

    std::cout << major << '.' << minor << '.' << patch << '\n';
    return 0;
}
