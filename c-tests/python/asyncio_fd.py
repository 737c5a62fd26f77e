"""pyzmq's asyncio integration waits on ZMQ_FD and reads ZMQ_EVENTS: a
producer and a consumer coroutine exchange messages over inproc through
it; a missed wake-up would hang (the runner's timeout catches that)."""
import asyncio
import zmq
import zmq.asyncio

COUNT = 2000


async def main():
    ctx = zmq.asyncio.Context()
    pull = ctx.socket(zmq.PULL)
    push = ctx.socket(zmq.PUSH)
    pull.bind("inproc://asyncio")
    push.connect("inproc://asyncio")
    push.setsockopt(zmq.SNDHWM, 10)
    pull.setsockopt(zmq.RCVHWM, 10)

    async def produce():
        for i in range(COUNT):
            await push.send(str(i).encode())

    async def consume():
        got = []
        for _ in range(COUNT):
            got.append(int(await pull.recv()))
        return got

    _, got = await asyncio.gather(produce(), consume())
    assert got == list(range(COUNT)), "messages lost or reordered"
    push.close()
    pull.close()
    ctx.term()
    print(f"asyncio: {COUNT} messages through ZMQ_FD wake-ups")


asyncio.run(main())
