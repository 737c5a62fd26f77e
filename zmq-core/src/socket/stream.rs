//! STREAM: a ROUTER over raw tcp connections.

use super::options::{int_value, put, ROUTING_ID, STREAM_NOTIFY};
use super::router::Router;
use super::{Pattern, Pipes};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;

/// STREAM: a ROUTER over raw tcp connections. Every peer gets a generated
/// id (or the ZMQ_CONNECT_ROUTING_ID of its connect); a message is [id,
/// bytes], received as the bytes arrive and sent as given (the MORE flag of
/// the bytes frame is ignored, as libzmq does); empty bytes close the
/// connection, and with ZMQ_STREAM_NOTIFY (on by default) an empty message
/// announces each connection and disconnection.
pub struct Stream {
    router: Router,
    notify: bool,
}

impl Default for Stream {
    fn default() -> Stream {
        Stream {
            router: Router::raw(),
            notify: true,
        }
    }
}

impl Pattern for Stream {
    fn attach(&mut self, pipe: PipeId, pipes: &mut Pipes) -> bool {
        self.router.attach(pipe, pipes)
    }

    fn send(&mut self, msg: &mut Msg, pipes: &mut Pipes) -> Result<()> {
        // A lone frame is dropped; an unknown id is EHOSTUNREACH (a
        // STREAM socket always is "mandatory", as in libzmq).
        self.router.send(msg, pipes)
    }

    fn recv(&mut self, pipes: &mut Pipes) -> Result<Msg> {
        self.router.recv(pipes)
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.router.has_in(pipes)
    }

    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        true
    }

    fn read_activated(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        self.router.read_activated(pipe, pipes)
    }

    fn write_activated(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        self.router.write_activated(pipe, pipes)
    }

    fn terminated(&mut self, pipe: PipeId, pipes: &mut Pipes) {
        self.router.terminated(pipe, pipes)
    }

    fn set_option(&mut self, option: i32, value: &[u8], _pipes: &mut Pipes) -> Result<bool> {
        if option != STREAM_NOTIFY {
            return Ok(false);
        }
        self.notify = match int_value(value)? {
            0 => false,
            1 => true,
            _ => return Err(Error::Invalid),
        };
        Ok(true)
    }

    fn raw_notify(&self) -> Option<bool> {
        Some(self.notify)
    }

    /// ZMQ_ROUTING_ID reads as the id generated last for a peer, once there
    /// is one (libzmq's STREAM stores it as the socket's own).
    fn get_option(&self, option: i32, out: &mut [u8]) -> Result<Option<usize>> {
        match (&self.router.last_generated, option) {
            (Some(id), ROUTING_ID) => put(out, id).map(Some),
            _ => Ok(None),
        }
    }
}
