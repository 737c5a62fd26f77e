//! The inproc endpoint registry of a context: bound names, and
//! connections made before their bind. It stands apart from the context
//! so that an I/O thread can reach it (a session asking the ZAP handler)
//! without holding the whole context.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::mailbox::{Command, Mailbox};
use crate::pipe::{self, Flow, PipeEnd, PipeId};
use crate::zmtp::mechanism::zap;

/// What a socket tells the context about itself when it binds or
/// connects over inproc.
#[derive(Clone)]
pub struct InprocPeer {
    pub socket_id: u64,
    pub mailbox: Arc<Mailbox>,
    pub sndhwm: i32,
    pub rcvhwm: i32,
    pub conflate: bool,
    pub routing_id: Vec<u8>,
    /// ZMQ_DISCONNECT_MSG of a binder that receives it: what it gets
    /// when a connector leaves.
    pub disconnect_msg: Option<Vec<u8>>,
}

/// A connection made before its endpoint was bound: the connector holds
/// one end, the registry keeps the other for the binder.
struct Pending {
    connector: InprocPeer,
    end: PipeEnd,
    /// The connector's own end, held back until the bind when it set
    /// ZMQ_IMMEDIATE (so that nothing queues for an absent peer).
    held: Option<PipeEnd>,
}

#[derive(Default)]
struct State {
    endpoints: HashMap<String, InprocPeer>,
    pending: HashMap<String, Vec<Pending>>,
}

#[derive(Default)]
pub struct Registry {
    state: Mutex<State>,
}

impl Registry {
    /// Binds an inproc endpoint; returns the ends of connections that were
    /// waiting for it, with their flow settled for the binder.
    pub fn bind(&self, name: &str, binder: InprocPeer) -> Result<Vec<PipeEnd>> {
        let mut s = self.state.lock();
        if s.endpoints.contains_key(name) {
            return Err(Error::AddressInUse);
        }
        s.endpoints.insert(name.to_owned(), binder.clone());
        let waiting = s.pending.remove(name).unwrap_or_default();
        Ok(waiting
            .into_iter()
            .map(|p| {
                p.end.record_hwms(binder.sndhwm, binder.rcvhwm);
                p.end.set_hwms(binder.sndhwm, binder.rcvhwm);
                p.end.set_farewell(binder.disconnect_msg.clone());
                p.end.set_routing_id(&binder.routing_id);
                if let Some(held) = p.held {
                    p.connector.mailbox.send(Command::Attach(held));
                }
                p.end
            })
            .collect())
    }

    pub fn unbind(&self, name: &str, socket_id: u64) -> Result<()> {
        let mut s = self.state.lock();
        match s.endpoints.get(name) {
            Some(peer) if peer.socket_id == socket_id => {
                s.endpoints.remove(name);
                Ok(())
            }
            _ => Err(Error::NotFound),
        }
    }

    /// Connects to an inproc endpoint: returns the id of the connector's
    /// end, and the end itself unless it is held back (`immediate` and no
    /// bind yet: it arrives as an `Attach` command at the bind). If the
    /// endpoint is bound, the binder gets the other end in its mailbox;
    /// otherwise that waits here for the bind.
    pub fn connect(
        &self,
        name: &str,
        connector: InprocPeer,
        immediate: bool,
        peer_alias: Option<Vec<u8>>,
    ) -> Result<(PipeId, Option<PipeEnd>)> {
        let mut s = self.state.lock();
        match s.endpoints.get(name).cloned() {
            Some(binder) => {
                let (to_binder, from_binder) = flows(&connector, &binder);
                let (mut mine, theirs) = pipe::pair(to_binder, from_binder);
                mine.record_hwms(connector.sndhwm, connector.rcvhwm);
                theirs.record_hwms(binder.sndhwm, binder.rcvhwm);
                theirs.set_farewell(binder.disconnect_msg.clone());
                mine.set_routing_id(&connector.routing_id);
                if let Some(alias) = peer_alias {
                    mine.set_peer_alias(alias);
                }
                theirs.set_routing_id(&binder.routing_id);
                binder.mailbox.send(Command::Attach(theirs));
                Ok((mine.id(), Some(mine)))
            }
            None => {
                let alone = |hwm: i32, conflate| Flow {
                    hwm: hwm as u64,
                    conflate,
                };
                let (mut mine, theirs) = pipe::pair(
                    alone(connector.sndhwm, connector.conflate),
                    alone(connector.rcvhwm, connector.conflate),
                );
                mine.record_hwms(connector.sndhwm, connector.rcvhwm);
                mine.set_routing_id(&connector.routing_id);
                if let Some(alias) = peer_alias {
                    mine.set_peer_alias(alias);
                }
                let id = mine.id();
                let (mine, held) = if immediate {
                    (None, Some(mine))
                } else {
                    (Some(mine), None)
                };
                s.pending.entry(name.to_owned()).or_default().push(Pending {
                    connector,
                    end: theirs,
                    held,
                });
                Ok((id, mine))
            }
        }
    }

    /// A closed socket's names are free again.
    pub fn socket_closed(&self, socket_id: u64) {
        self.state
            .lock()
            .endpoints
            .retain(|_, peer| peer.socket_id != socket_id);
    }

    /// Connections still waiting for a bind are dropped (termination).
    pub fn clear_pending(&self) {
        self.state.lock().pending.clear();
    }

    /// A pipe to the ZAP handler, if a socket is bound at
    /// `inproc://zeromq.zap.01`: the handler gets the other end, and the
    /// caller's end has no routing id, so a ROUTER handler makes one.
    /// Neither direction has a limit (a request must never be dropped).
    pub fn connect_zap(&self) -> Option<PipeEnd> {
        let binder = self.state.lock().endpoints.get(zap::ENDPOINT).cloned()?;
        let unlimited = Flow {
            hwm: 0,
            conflate: false,
        };
        let (mine, theirs) = pipe::pair(unlimited, unlimited);
        theirs.set_routing_id(&binder.routing_id);
        binder.mailbox.send(Command::Attach(theirs));
        Some(mine)
    }
}

/// The flows (connector to binder, binder to connector) of an inproc
/// connection: each direction holds the sender's send HWM plus the
/// receiver's receive HWM, and no limit if either is unlimited.
fn flows(connector: &InprocPeer, binder: &InprocPeer) -> (Flow, Flow) {
    let sum = pipe::combined_hwm;
    let conflate = connector.conflate || binder.conflate;
    (
        Flow {
            hwm: sum(connector.sndhwm, binder.rcvhwm),
            conflate,
        },
        Flow {
            hwm: sum(binder.sndhwm, connector.rcvhwm),
            conflate,
        },
    )
}
