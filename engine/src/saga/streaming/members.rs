//! The services' members: faults and commands act on the consumer groups by killing a
//! service's member, starting a new one (a rebalance follows) or changing the group's
//! processing time.

use super::super::config::SagaSetupError;
use super::super::services::ServiceName;
use super::super::trace::SagaTraceEvent as T;
use super::{engine_error, Saga};
use crate::ids::{MemberId, Tick};
use crate::sim::{Command, Sim};

impl Saga {
    /// True while the service has a running member: its newest member is neither crashed
    /// nor killed, and no outage holds it down. Its outbox relay runs only then.
    pub fn is_up(&self, service: ServiceName) -> bool {
        self.members.contains_key(&service)
            && !self.killed.contains_key(&service)
            && !self.outage_down.contains_key(&service)
    }

    /// Kills the service's current member (noticed after the group's session timeout).
    /// Killing a service that is already down does nothing.
    pub fn kill_service(
        &mut self,
        sim: &mut Sim,
        service: ServiceName,
    ) -> Result<(), SagaSetupError> {
        if self.killed.insert(service, ()).is_some() {
            return Ok(());
        }
        let member = self.newest_member(service);
        sim.apply(Command::KillMember {
            group: service.group().to_string(),
            member,
        })
        .map_err(engine_error)
    }

    /// Starts a new member for the service (joins its group: a rebalance follows).
    pub fn start_member(
        &mut self,
        sim: &mut Sim,
        service: ServiceName,
    ) -> Result<(), SagaSetupError> {
        self.killed.remove(&service);
        *self.members.entry(service).or_insert(0) += 1;
        let member = self.newest_member(service);
        sim.apply(Command::JoinGroup {
            group: service.group().to_string(),
            member,
        })
        .map_err(engine_error)
    }

    /// Sets a service's own processing time per record (a slow or fast service); its group
    /// runs with it from the next step, plus any slowdown of the fault plan in force.
    pub fn set_processing_ticks(
        &mut self,
        service: ServiceName,
        ticks_per_record: u64,
    ) -> Result<(), SagaSetupError> {
        match self.base_processing_ticks.get_mut(&service) {
            Some(base) => {
                *base = ticks_per_record;
                Ok(())
            }
            None => Err(SagaSetupError::Engine {
                error: format!("{service} has no consumer group in this saga style"),
            }),
        }
    }

    /// `TakeDown`: kills the running member, if any.
    pub(super) fn take_down(
        &mut self,
        sim: &mut Sim,
        service: ServiceName,
    ) -> Result<(), SagaSetupError> {
        if self.killed.contains_key(&service) {
            return Ok(());
        }
        self.kill_service(sim, service)?;
        self.trace(T::ServiceDown {
            tick: sim.now(),
            service,
        });
        Ok(())
    }

    /// `BringUp`: a new member for a taken-down service, unless an outage holds it down.
    pub(super) fn bring_up(
        &mut self,
        sim: &mut Sim,
        service: ServiceName,
    ) -> Result<(), SagaSetupError> {
        if !self.killed.contains_key(&service) || self.outage_down.contains_key(&service) {
            return Ok(());
        }
        self.start_member(sim, service)?;
        self.trace(T::ServiceUp {
            tick: sim.now(),
            service,
        });
        Ok(())
    }

    /// A crashed member's replacement starts when the crash's down time is over (unless an
    /// outage holds the service down; its end starts a member).
    pub(super) fn restart_crashed_members(&mut self, sim: &mut Sim, next: Tick) {
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.restarts)
            .into_iter()
            .partition(|(at, _)| *at <= next);
        self.restarts = later;
        for (_, service) in due {
            if self.outage_down.contains_key(&service) {
                continue;
            }
            let _ = self.start_member(sim, service);
            self.trace(T::ServiceUp {
                tick: next,
                service,
            });
        }
    }

    /// The members the processors crashed during the engine's step: remembered as killed
    /// (so an outage does not kill a dead member again), with a replacement to start.
    pub(super) fn note_crashed_members(&mut self) {
        let crashes = std::mem::take(&mut self.world.crashes);
        for (service, member, restart_at) in crashes {
            if member == self.newest_member(service) {
                self.killed.insert(service, ());
            }
            self.restarts.push((restart_at, service));
        }
    }

    /// Slowdowns of the fault plan (and [`set_processing_ticks`](Self::set_processing_ticks))
    /// change the group's processing time while they last.
    pub(super) fn apply_slowdowns(&mut self, sim: &mut Sim, next: Tick) {
        for service in ServiceName::ALL {
            let Some(current) = self.processing_ticks.get(&service).copied() else {
                continue;
            };
            let base = self
                .base_processing_ticks
                .get(&service)
                .copied()
                .unwrap_or(1);
            let wanted = base + self.world.faults.extra_ticks(service, next);
            if wanted == current {
                continue;
            }
            sim.apply(Command::ConfigureGroup {
                group: service.group().to_string(),
                processing_ticks_per_record: Some(wanted),
                max_poll_records: None,
            })
            .expect("the service's group exists");
            self.processing_ticks.insert(service, wanted);
            self.trace(T::ServiceSpeedChanged {
                tick: next,
                service,
                processing_ticks_per_record: wanted,
            });
        }
    }

    /// Outages of the fault plan kill the service's member when they start and start a new
    /// member when they end.
    pub(super) fn apply_outages(&mut self, sim: &mut Sim, next: Tick) {
        for service in ServiceName::ALL {
            if !self.members.contains_key(&service) {
                continue;
            }
            let down = self.world.faults.is_down(service, next);
            let was_down = self.outage_down.contains_key(&service);
            if down && !was_down {
                self.outage_down.insert(service, ());
                let _ = self.kill_service(sim, service);
                self.trace(T::ServiceDown {
                    tick: next,
                    service,
                });
            } else if !down && was_down {
                self.outage_down.remove(&service);
                let _ = self.start_member(sim, service);
                self.trace(T::ServiceUp {
                    tick: next,
                    service,
                });
            }
        }
    }

    fn newest_member(&self, service: ServiceName) -> MemberId {
        let n = self.members.get(&service).copied().unwrap_or(0);
        MemberId(format!("{}-{n}", service.group()))
    }

    /// Adds an event to the saga trace.
    pub(crate) fn trace(&mut self, event: T) {
        self.world.trace.push(event);
    }
}
