//! CURVE (RFC 25, 26): placeholder until the real mechanism lands.
use super::super::command::Properties;
use super::super::engine::EngineConfig;
use super::{Failure, Mechanism, Status};

pub struct Client;
pub struct Server;
impl Client {
    pub fn new(_config: &EngineConfig) -> Client {
        Client
    }
}
impl Server {
    pub fn new(_config: &EngineConfig) -> Server {
        Server
    }
}
impl Mechanism for Client {
    fn next_command(&mut self) -> Result<Option<Vec<u8>>, Failure> {
        Err(Failure::NoDetail(22))
    }
    fn process_command(&mut self, _body: &[u8]) -> Result<(), Failure> {
        Err(Failure::NoDetail(22))
    }
    fn status(&self) -> Status {
        Status::Error(Failure::NoDetail(22))
    }
    fn take_properties(&mut self) -> Properties {
        Properties::new()
    }
}
impl Mechanism for Server {
    fn next_command(&mut self) -> Result<Option<Vec<u8>>, Failure> {
        Err(Failure::NoDetail(22))
    }
    fn process_command(&mut self, _body: &[u8]) -> Result<(), Failure> {
        Err(Failure::NoDetail(22))
    }
    fn status(&self) -> Status {
        Status::Error(Failure::NoDetail(22))
    }
    fn take_properties(&mut self) -> Properties {
        Properties::new()
    }
}
