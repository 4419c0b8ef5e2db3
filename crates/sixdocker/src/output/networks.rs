//! The `network ls` table: NETWORK ID, NAME, DRIVER, SCOPE.

use six_network::Network;

use super::human;
use super::table::Table;

pub fn networks_table(networks: &[Network]) -> Table {
    let mut table = Table::new(&["NETWORK ID", "NAME", "DRIVER", "SCOPE"]);
    for n in networks {
        table.row(vec![
            human::short_id(&n.id).to_owned(),
            n.name.clone(),
            n.driver.clone(),
            "local".to_owned(),
        ]);
    }
    table
}
