"""OPC UA subscriptions (asyncua): data changes of configured nodes become readings of site tags."""
